/**
 * The one contract between the core and any UI. Platform-neutral on purpose:
 * it imports nothing but zod, so both the Node core and the browser renderer
 * compile it, and neither can drift from the other.
 */
export * from './errors';
export * from './state';
export * from './settings';
export * from './methods';
export * from './domains/app';
export * from './domains/hardware';
export * from './domains/network';
export * from './domains/support';
export * from './domains/round';
export * from './domains/wallet';
export * from './domains/chain';
export * from './domains/guard';
export * from './domains/schedule';
export * from './domains/earnings';
export * from './domains/notifications';
export * from './domains/storage';
export * from './envelope';
export * from './bridge';
export * from './client';
