/** The 2 KB chat request body (ai-request.mjs), for the tests that score what the bench sends. */
export declare const AI_CHAT_BODY: string;
