/** Where a credential's `format` puts the secret (`Bearer {secret}`): its own module, so the schema (zod) and the injection on the request path share it without importing each other. */
export const SECRET_PLACEHOLDER = "{secret}";
