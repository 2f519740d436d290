import type { Command } from '../args.ts';
import { keygen } from './keygen.ts';

export const commands: Command[] = [keygen];
