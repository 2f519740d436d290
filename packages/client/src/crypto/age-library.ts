// The part of age-encryption the header code uses, as a module of its own: age-header.ts imports it
// on first use, and a bundler still keeps only this (a dynamic import of the package itself would
// not let it drop the rest).
export { Decrypter } from 'age-encryption';
