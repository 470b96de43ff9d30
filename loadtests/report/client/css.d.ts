/** CSS files are bundled as text (esbuild loader "text") and injected by the report. */
declare module '*.css' {
  const text: string;
  export default text;
}
