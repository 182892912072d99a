// zod as the workers import it: as a namespace of this module, not zod's own `z` object. That
// object bundles all of zod, its 40 locales included (some 440 KB in every worker); through this
// module esbuild keeps only what a worker uses (under 100 KB), English messages included.
export * from 'zod';
