export * from './a';
export { gamma as delta } from './b';
export * as bee from './b';
