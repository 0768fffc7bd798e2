/**
 * The ids of the AI gateway's built-in content categories (policies/ai-gateway/content-filter/
 * categories.ts holds their phrases): here, apart from those lists, so the config schema can
 * refuse an unknown id on save without loading them.
 */
export const CONTENT_CATEGORIES = ["violence", "self_harm", "sexual_minors", "weapons", "hate", "malware"] as const;
export type ContentCategory = (typeof CONTENT_CATEGORIES)[number];
