import { moveOrCopy } from './moveCopy';

export const operation = moveOrCopy('move');
