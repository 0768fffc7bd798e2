// A typical chat request of about 2 KB (OpenAI Chat Completions): a system prompt, two earlier
// turns and a user message carrying an e-mail address and a phone number, as a support
// assistant's traffic does. What the AI gateway's checks (PII masking, injection scoring) read.
// AI_CHAT_BODY as parts-worker.js scores it; the AI scenarios send the turns below.
export const AI_CHAT_BODY = JSON.stringify({
  model: "gpt-4o-mini",
  temperature: 0.2,
  max_tokens: 512,
  messages: [
    {
      role: "system",
      content:
        "You are the support assistant of Northwind Outfitters, an online shop for hiking and camping gear. Answer in the customer's language, briefly and politely. You can look up orders, explain delivery times and the returns policy (30 days, unused items, free return label for members). Never promise refunds yourself: say that the returns team confirms them within two working days. If a question is not about the shop, say that you can only help with orders and products. Members get free shipping on orders over 50 pounds and may exchange a size once per order at no cost; everyone else pays 4.95 for an exchange.",
    },
    {
      role: "user",
      content:
        "Hi, I ordered a two-person tent and a sleeping bag last Tuesday (order NW-2026-118734) and the tracking page has said 'label created' for four days now. Is something wrong with the parcel? I need the tent for a trip on the 19th.",
    },
    {
      role: "assistant",
      content:
        "I'm sorry for the wait! I checked order NW-2026-118734: the tent shipped from our Leeds warehouse on Thursday, but the sleeping bag came from a partner warehouse and the carrier has not scanned that parcel yet. Labels sometimes show 'label created' until the first scan at the depot. Both items should still arrive before the 19th; if the second parcel has no scan by Monday, I can ask the warehouse to send a replacement by express delivery.",
    },
    {
      role: "user",
      content:
        "Thanks. Could you send any update to my work address instead, jane.doe@example.com, or text me on +44 7700 900123? I'm travelling this week and don't always see the shop's app notifications. Also, if the sleeping bag doesn't arrive in time, can I return it later even though I'll have missed the trip, and does the 30-day window start at delivery or at the order date? Last question: do you sell spare tent pegs for the Ridgeline 2 model, the aluminium ones, in a pack of eight or so?",
    },
  ],
});

/** What the load generator replaces, in each request, with the request's own number (load.mjs). */
export const TURN_MARKER = "{{TURN}}";

const chat = JSON.parse(AI_CHAT_BODY);
const numbered = (message) => ({ ...message, content: `${message.content} (message ${TURN_MARKER})` });

/**
 * A conversation's next turn: the system prompt and the earlier turns as the client sent them
 * before (a chat client resends the whole conversation each time), the last user message new
 * in every request.
 */
export const AI_CHAT_TURN_BODY = JSON.stringify({ ...chat, messages: [...chat.messages.slice(0, -1), numbered(chat.messages.at(-1))] });

/** The same chat with every message new in every request: nothing a client sent before. */
export const AI_CHAT_NEW_BODY = JSON.stringify({ ...chat, messages: chat.messages.map(numbered) });
