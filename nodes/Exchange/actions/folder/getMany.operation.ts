import { getMany } from './operations';

export const operation = getMany;
