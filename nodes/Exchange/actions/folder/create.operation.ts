import { create } from './operations';

export const operation = create;
