import { rename } from './operations';

export const operation = rename;
