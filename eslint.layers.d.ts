/** Types for eslint.layers.js (plain JS so eslint.config.js can load it without a build). */
export declare const LAYERS: string[][]
export declare function layerZones(): Array<{ target: string; from: string | string[]; message: string }>
