/** Vite's `?raw` suffix imports a file's text (test fixtures such as the example configs). */
declare module "*?raw" {
  const text: string;
  export default text;
}
