// --class and --default-class (route classes, see api/route-class.ts): the commands that read
// routes (controller, standalone) filter them; `wsgate proxy` receives only what its controller
// kept, so it has neither flag.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_CLASS_NAME } from '../api/defaults.js';
import { classNameProblem, type ClassSelection } from '../api/route-class.js';

export interface ClassFlags {
  class: string;
  defaultClass: boolean;
}

function className(value: string): string {
  const problem = classNameProblem(value);
  if (problem) throw new InvalidArgumentError(`"${value}" ${problem}`);
  return value;
}

export function addClassFlags(cmd: Command): Command {
  return cmd
    .option('--class <name>', 'serve only the routes whose spec.className is this (and, with --default-class, those with none); others are left alone: no status, no events, no metrics', className, DEFAULT_CLASS_NAME)
    .addOption(new Option('--default-class', 'also serve routes that name no class, as the IngressClass marked default; set it on exactly one install per cluster').default(true))
    .option('--no-default-class', 'leave routes that name no class to the default install');
}

export function classSelection(flags: ClassFlags): ClassSelection {
  return { className: flags.class, isDefault: flags.defaultClass };
}
