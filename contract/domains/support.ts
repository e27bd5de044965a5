import { NoParams } from './app';
import { ReportExport } from './hardware';

/** Help for the user: a support bundle (versions, settings, recent log) with secrets removed by the core. */
export const supportMethods = {
  'support.bundle': { params: NoParams, result: ReportExport },
} as const;

export const supportEvents = {} as const;
