// The Worker imports the admin API, and with it zod's schemas and the YAML parser, on the first
// admin request (worker/app.ts). Under vitest an import transforms the source on demand; loading
// it here keeps that work out of the first test's time limit, as when the Worker imported
// everything at startup.
import "../../worker/admin";
