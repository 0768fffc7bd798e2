/**
 * Lookalike letters folded to the Latin letter they imitate, from Unicode TR39's confusables
 * data (`confusables.txt`, the Latin prototypes of Cyrillic and Greek letters, lower and upper
 * case). Full-width and mathematical letters need no entry: NFKC (UAX #15) already folds them.
 *
 * Only letters an attacker can slip into an English word unnoticed are listed: a Cyrillic "о" in
 * "ignоre" defeats a naive matcher, a Cyrillic "ж" imitates nothing.
 */
const LOOKALIKES: Record<string, string> = {
  // Cyrillic (TR39: U+0430 а → a, U+0435 е → e, U+043E о → o, U+0440 р → p, U+0441 с → c, ...).
  а: "a",
  в: "b",
  е: "e",
  ё: "e",
  к: "k",
  м: "m",
  н: "h",
  о: "o",
  р: "p",
  с: "c",
  т: "t",
  у: "y",
  х: "x",
  і: "i",
  ї: "i",
  ј: "j",
  ѕ: "s",
  ԁ: "d",
  ԛ: "q",
  ԝ: "w",
  һ: "h",
  ӏ: "l",
  ԍ: "g",
  ѵ: "v",
  ү: "y",
  А: "a",
  В: "b",
  Е: "e",
  К: "k",
  М: "m",
  Н: "h",
  О: "o",
  Р: "p",
  С: "c",
  Т: "t",
  У: "y",
  Х: "x",
  І: "i",
  Ј: "j",
  Ѕ: "s",
  Ԁ: "d",
  Һ: "h",
  Ӏ: "l",
  Ԛ: "q",
  Ԝ: "w",
  // Greek (TR39: U+03BF ο → o, U+03B1 α → a, U+03BD ν → v, U+03B9 ι → i, U+03C1 ρ → p, ...).
  α: "a",
  β: "b",
  ε: "e",
  η: "n",
  ι: "i",
  κ: "k",
  ν: "v",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  γ: "y",
  Α: "a",
  Β: "b",
  Ε: "e",
  Η: "h",
  Ι: "i",
  Κ: "k",
  Μ: "m",
  Ν: "n",
  Ο: "o",
  Ρ: "p",
  Τ: "t",
  Υ: "y",
  Χ: "x",
  Ζ: "z",
  // Latin letters outside ASCII that TR39 maps to ASCII ones (dotless i, script g, long s).
  ı: "i",
  ɡ: "g",
  ſ: "s",
  ɑ: "a",
  ɩ: "i",
  ʏ: "y",
};

/** Every lookalike letter listed. */
export const LOOKALIKE_LETTERS: readonly string[] = Object.keys(LOOKALIKES);

/** The Latin letter `char` imitates, or undefined when it imitates none. */
export function latinLookalike(char: string): string | undefined {
  return LOOKALIKES[char];
}
