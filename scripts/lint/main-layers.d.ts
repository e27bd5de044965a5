// Types for main-layers.js (plain JS so eslint.config.js can load it without a build step).
import type { Rule } from 'eslint';
export declare const MAIN_LAYERS: string[];
export declare const INNER_ORDER: Record<string, string[]>;
export declare function placeOf(relativeToMain: string): { layer: string; inner: string } | undefined;
export declare function layeringProblem(from: string, to: string): string | undefined;
export declare const mainLayersRule: Rule.RuleModule;
