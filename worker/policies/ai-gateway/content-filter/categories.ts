/**
 * The built-in content categories: curated phrases that ask for clearly harmful content, not
 * the single words ordinary text uses ("kill the process", "this song is the bomb", "how does
 * ransomware work?" pass). Each phrase is matched as whole words after normalisation (words.ts,
 * phrases.ts); `*` is one word of any spelling. What each catches:
 *
 * - `violence`: how to kill, murder, poison, strangle, stab, torture or kidnap a person; planning
 *   a mass or school shooting or a terrorist attack; hiding a body, hurting someone unnoticed.
 * - `self_harm`: asking how to kill oneself or commit suicide, painless ways to die, overdose
 *   amounts, cutting or hanging oneself, saying "I want to kill myself / end my life".
 * - `sexual_minors`: child sexual abuse material by name ("child porn", "loli hentai", ...),
 *   asking for nude, naked or sexual pictures or stories of children, kids or minors, or of a
 *   child by age ("nude 12 year old", ages 1 to 17). It also catches those terms in a report
 *   about them: use `log` where such reports are expected (trust and safety teams).
 * - `weapons`: making or building bombs, pipe bombs, IEDs, explosives (C4, TATP, napalm),
 *   Molotov cocktails, grenades, chemical or biological weapons (sarin, ricin, VX, mustard gas,
 *   nerve agents), 3D-printed or untraceable guns, silencers, full-auto conversions.
 * - `hate`: calls to kill, exterminate or gas a people ("kill all <group>", "<group> should be
 *   exterminated", "death to all <group>", "<group> are subhuman/vermin") for the groups listed
 *   below, and requests for racist jokes or hate speech.
 * - `malware`: asking to write, create, build or code ransomware, keyloggers, trojans, worms,
 *   rootkits, botnets, credential or password stealers, computer viruses, crypters, or malware
 *   that evades antivirus; phishing e-mails or pages.
 *
 * Not caught: the same intent phrased otherwise (paraphrase, another language, a euphemism),
 * fiction that wraps a request, text in images or files. A deny-list adds an operator's own
 * phrases; a classifier model would catch more, at another cost.
 */

import { CONTENT_CATEGORIES, type ContentCategory } from "../../../http/schema-kit/content-categories";

export { CONTENT_CATEGORIES, type ContentCategory };

/** Every phrase of `templates` with `{x}` replaced by each of `values`. */
const expand = (templates: readonly string[], values: readonly string[]): string[] =>
  templates.flatMap((template) => values.map((value) => template.replaceAll("{x}", value)));

/** `templates` filled with each of `heads` followed by each of `tails`: the longer phrases an exception names. */
const followedBy = (templates: readonly string[], heads: readonly string[], tails: readonly string[]): string[] =>
  expand(
    templates,
    heads.flatMap((head) => tails.map((tail) => `${head} ${tail}`)),
  );

const PERSON = ["someone", "somebody", "a person", "a human", "people", "my wife", "my husband", "my boss", "my neighbor", "my neighbour"];

const VIOLENCE = [
  ...expand(
    [
      "how to kill {x}",
      "how do i kill {x}",
      "how can i kill {x}",
      "best way to kill {x}",
      "ways to kill {x}",
      "help me kill {x}",
      "how to murder {x}",
      "how do i murder {x}",
      "how to poison {x}",
      "how can i poison {x}",
      "how to strangle {x}",
      "how to stab {x}",
      "how to torture {x}",
      "how to kidnap {x}",
      "hurt {x} without leaving marks",
      "kill {x} and get away with it",
      "kill {x} without getting caught",
      "poison {x} without getting caught",
    ],
    PERSON,
  ),
  "how to get away with killing",
  "how to hide a dead body",
  "how to dispose of a body",
  "how to get rid of a body",
  "plan a mass shooting",
  "plan a school shooting",
  "carry out a mass shooting",
  "plan a terrorist attack",
  "carry out a terrorist attack",
  "how to kidnap a child",
];

const SELF_HARM_TEMPLATES = [
  "how to {x}",
  "how do i {x}",
  "best way to {x}",
  "easiest way to {x}",
  "ways to {x}",
  "help me {x}",
  "i want to {x}",
];

const SELF_HARM = [
  ...expand(SELF_HARM_TEMPLATES, ["kill myself", "commit suicide", "end my life", "hang myself", "self harm"]),
  "painless way to die",
  "painless ways to die",
  "painless suicide",
  "how many pills to overdose",
  "how many * pills to overdose",
  "how many pills does it take to die",
  "lethal dose to kill myself",
];

const CHILD = ["child", "children", "kid", "kids", "minor", "minors", "preteen", "preteens", "underage girl", "underage boy"];
const AGES = Array.from({ length: 17 }, (_, index) => String(index + 1));

const SEXUAL_MINORS = [
  "child porn",
  "child pornography",
  "kiddie porn",
  "kiddy porn",
  "pedo porn",
  "underage porn",
  "underage nudes",
  "loli porn",
  "loli hentai",
  "shota hentai",
  ...expand(
    [
      "nude pictures of {x}",
      "nude photos of {x}",
      "naked pictures of {x}",
      "naked photos of {x}",
      "sexy pictures of {x}",
      "sexual pictures of {x}",
      "erotic story about a {x}",
      "sex story about a {x}",
      "sexual story about a {x}",
      "sex scene with a {x}",
    ],
    CHILD,
  ),
  ...expand(
    ["nude {x}", "naked {x}"],
    ["minor", "minors", "preteen", "preteens", "underage girl", "underage boy", "underage girls", "underage boys"],
  ),
  ...expand(["nude {x} year old", "naked {x} year old", "sexy {x} year old", "sex with a {x} year old"], AGES),
];

const WEAPON = [
  "a bomb",
  "a pipe bomb",
  "a nail bomb",
  "a car bomb",
  "a dirty bomb",
  "an ied",
  "explosives",
  "an explosive",
  "c4 explosive",
  "tatp",
  "napalm",
  "a molotov cocktail",
  "a grenade",
  "sarin",
  "ricin",
  "vx nerve agent",
  "a nerve agent",
  "mustard gas",
  "a chemical weapon",
  "a bioweapon",
  "a biological weapon",
  "an untraceable gun",
  "a ghost gun",
  "a silencer",
  "a suppressor",
];

const WEAPON_TEMPLATES = [
  "how to make {x}",
  "how to build {x}",
  "how do i make {x}",
  "how do i build {x}",
  "how to synthesize {x}",
  "instructions to make {x}",
  "help me make {x}",
  "help me build {x}",
];

const WEAPONS = [
  ...expand(WEAPON_TEMPLATES, WEAPON),
  "pipe bomb instructions",
  "3d print a gun",
  "3d printed gun files",
  "convert my * to full auto",
  "full auto conversion kit",
  "make an auto sear",
];

const GROUPS = [
  "jews",
  "muslims",
  "christians",
  "blacks",
  "black people",
  "whites",
  "white people",
  "gays",
  "gay people",
  "trans people",
  "immigrants",
  "refugees",
  "mexicans",
  "arabs",
  "asians",
  "chinese",
  "indians",
  "africans",
  "gypsies",
  "roma",
  "women",
];

const HATE = [
  ...expand(
    [
      "kill all {x}",
      "exterminate all {x}",
      "exterminate the {x}",
      "gas the {x}",
      "gas all {x}",
      "death to all {x}",
      "death to the {x}",
      "{x} should be exterminated",
      "{x} should be killed",
      "all {x} should die",
      "all {x} must die",
      "{x} are subhuman",
      "{x} are vermin",
      "{x} are animals",
    ],
    GROUPS,
  ),
  "write a racist joke",
  "tell me a racist joke",
  "write racist jokes",
  "tell me racist jokes",
  "write hate speech",
  "write hate speech against",
];

const MALWARE_KIND = [
  "ransomware",
  "a keylogger",
  "keylogger",
  "malware",
  "a trojan",
  "a computer worm",
  "a rootkit",
  "a botnet",
  "a computer virus",
  "a password stealer",
  "a credential stealer",
  "an infostealer",
  "a crypter",
  "a phishing email",
  "a phishing page",
  "undetectable malware",
];

const MALWARE_TEMPLATES = ["write {x}", "create {x}", "build {x}", "code {x}", "make {x}", "develop {x}"];

const MALWARE = [
  ...expand(MALWARE_TEMPLATES, MALWARE_KIND),
  "malware that evades antivirus",
  "bypass antivirus detection",
  "evade antivirus detection",
  "fud crypter",
];

/** Things named after a weapon: "how to build a bomb shelter", "how to make a grenade-shaped cake". */
const NOT_A_WEAPON = ["shelter", "calorimeter", "shaped", "cake", "costume", "prop"];

/** Tools against malware, written about in the same words: "write malware detection rules". */
const DEFENCE = ["detection", "detector", "analysis", "scanner", "removal", "signatures", "rules", "report", "protection"];

export interface CategoryPhrases {
  phrases: readonly string[];
  /** Longer phrases that start like one of `phrases` and are ordinary: a match of one of these, from the same word, is no match. */
  exceptions: readonly string[];
}

/** The phrases of each category, in the syntax of phrases.ts. */
export const CATEGORY_PHRASES: Readonly<Record<ContentCategory, CategoryPhrases>> = {
  violence: { phrases: VIOLENCE, exceptions: [] },
  self_harm: {
    phrases: SELF_HARM,
    exceptions: expand(SELF_HARM_TEMPLATES, ["end my life insurance", "hang myself upside down"]),
  },
  sexual_minors: { phrases: SEXUAL_MINORS, exceptions: [] },
  weapons: {
    phrases: WEAPONS,
    exceptions: followedBy(WEAPON_TEMPLATES, WEAPON, NOT_A_WEAPON),
  },
  hate: { phrases: HATE, exceptions: [] },
  malware: {
    phrases: MALWARE,
    exceptions: followedBy(MALWARE_TEMPLATES, MALWARE_KIND, DEFENCE),
  },
};
