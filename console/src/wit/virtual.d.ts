declare module 'virtual:wit' {
  const wit: import('./types').WitPackage;
  export default wit;
}
