import { anyOf, type PatternRule } from "./rule";

/**
 * Weak evidence: word classes that attacks share across phrasings but that ordinary prompts use
 * too ("from now on, answer in French", "what are your rules for refunds?"). Each weighs 0.15 to
 * 0.2 and counts only when the learned component finds the text attack-like as well (its signal
 * is above 0: index.ts drops these otherwise), so neither ever flags a text alone; together they
 * can (0.45 and 0.2 make 0.56). Generalisation by class: each list names a kind of thing (a persistence
 * scope, the model's own instructions, a transform to undo), not the phrases of a corpus.
 * On the `latin` view; bounded gaps, so scanning stays linear. Word classes are joined by `\s`
 * rather than a space, so that the prefilter (literals.ts) keeps each class as a small group of
 * its own instead of multiplying them out into hundreds of phrases to look up.
 */

/** A reply rule meant to outlast this answer, or to override the question. */
const PERSISTENCE = anyOf([
  "from now on",
  "from here on",
  "from this point on",
  "from this moment",
  "henceforth",
  "hereafter",
  "for the rest of\\s(?:this|the)\\s(?:conversation|chat|session)",
  "for all\\s(?:future|subsequent|following|further)\\s(?:messages|questions|prompts|replies|responses|answers|inputs)",
  "(?:to|in)\\s(?:every|each|all|any)\\s(?:future |subsequent |following )?(?:message|question|prompt|input|request)s?",
  "(?:every|each|all)\\s(?:of )?(?:your |the )?(?:future |subsequent |following )?(?:answers?|responses?|replies|reply|outputs?)",
  "regardless of\\s(?:the|what|any|my|their|whatever)",
  "no matter what",
  "whatever\\s(?:the user|anyone|they|i)\\s(?:says?|asks?|writes?|types?)",
  "even if\\s(?:asked|told|instructed|the user asks)",
  "never switch back",
  "and nothing else",
  "instead of\\s(?:checking|answering|summari[sz]ing|translating|responding|replying|doing|following)",
]);

/** A reply dictated word for word: the model made to say what the writer chose. */
const DICTATED = anyOf([
  "repeat after me",
  "(?:and )?add nothing",
  "say exactly",
  "output exactly",
  "the exact\\s(?:string|phrase|words?|text)",
  "without\\s(?:any )?(?:other|additional|extra)\\s(?:text|words|characters|explanation)",
]);

/** An override verb aimed at the task or the safeguards rather than at a typo or an e-mail. */
const TASK_OVERRIDE = `(?:ignore|disregard|forget|skip|drop|abandon|bypass)\\s(?:(?:the|this|that|your|any|all)\\s)?(?:(?:user'?s?|original|current|above|previous|whole)\\s)?${anyOf(
  ["question", "request", "task", "query", "rules", "safety", "checks?", "instructions?", "guidelines"],
)}`;

/** A label that hands a line to the model: "Copilot:", "Reviewer bot:", "AI:" in content. */
const MODEL_LABEL = `${anyOf([
  "copilot",
  "chatgpt",
  "claude",
  "gemini",
  "llm",
  "ai",
  "(?:reviewer|review|coding|email|screening|grading|support)\\s(?:bot|assistant|agent|model)",
])}\\s?:`;

/** The model's own configuration, as a user names it to reach it. */
const OWN_INSTRUCTIONS = anyOf([
  "your\\s(?:own |original |initial |hidden |secret |internal |real |actual |exact |full )?(?:instructions|rules|prompt|directives|guidelines|configuration|config|programming|setup|context window|context)",
  "(?:your|the)\\s(?:operator|developer|creator|deployer|owner)s?",
  "(?:instructions|rules|text|message|prompt)\\s(?:you were|you've been|you have been|that you were)\\s(?:given|told|sent|configured|initiali[sz]ed|programmed)",
  "(?:before|above)\\s(?:our|this|the)\\s(?:conversation|chat|message)",
  "(?:in|from)\\syour context",
  "the\\s(?:access code|secret code|passcode|password|passphrase|pass phrase)",
]);

/** A transform the reader must undo before obeying: the payload is hidden from plain reading. */
const UNDO_TRANSFORM = anyOf([
  "backwards",
  "in reverse",
  "reversed",
  "first letters? of\\s(?:each|every)\\s(?:word|line|sentence)",
  "rot-?13",
  "caesar",
  "(?:and|then)\\s(?:obey|follow|execute|do|apply)\\s(?:it|that|them|this|what it says)",
  "do\\s(?:that|the same|this)\\sto your",
]);

/** A switch of task or authority announced to the model. */
const SWITCH = anyOf([
  "stop everything",
  "start over",
  "(?:start|begin)\\s(?:again|anew|from scratch)",
  "(?:out of|from)\\syour\\s(?:head|mind|memory)",
  "(?:forget|ignore|disregard)\\s(?:about\\s)?(?:everything|all of (?:that|this|it))",
  "(?:well done|very good|great job|simply great|excellent performance|that is done|that is enough|that was ok)[.!,]?\\s(?:(?:now|but now|next)\\s)?(?:please\\s)?(?:help me with|comes?|follows?|write|i need)",
  "new rule",
  "new orders?",
  "first task",
  "(?:has|have)\\sbeen\\s(?:updated|changed|replaced|modified)",
  "let'?s switch\\s(?:things|it)\\sup",
  "switch\\s(?:to|into)\\s(?:a |the )?(?:new |different )?(?:mode|role|persona)",
  "you are\\s(?:now )?(?:a|an)\\s(?:hacker|evil|rogue|malicious|uncensored|unfiltered)",
  "(?:system|admin|security)\\s(?:notice|update|message|alert)",
  "(?:attention|notice|message|instructions?)\\s(?:to |for )?(?:the |any |all )?(?:ai|assistant|model|llm|bot|agents?)s?",
]);

/** An evidence rule: a word class anywhere on `latin`, lowered like the others by its context. */
function evidence(id: string, weight: number, source: string): PatternRule {
  return { id, weight, view: "latin", pattern: new RegExp(source, "g"), contextual: true };
}

export const EVIDENCE_RULES: PatternRule[] = [
  evidence("output.persistent-rule", 0.2, `\\b${PERSISTENCE}\\b`),
  evidence("output.dictated", 0.2, `\\b${DICTATED}\\b`),
  evidence("override.task", 0.2, `\\b${TASK_OVERRIDE}\\b`),
  evidence("hidden.model-label", 0.2, `\\b${MODEL_LABEL}`),
  evidence("exfiltration.own-instructions", 0.15, `\\b${OWN_INSTRUCTIONS}\\b`),
  evidence("evasion.undo-transform", 0.2, `\\b${UNDO_TRANSFORM}\\b`),
  evidence("override.switch", 0.2, `\\b${SWITCH}\\b`),
];
