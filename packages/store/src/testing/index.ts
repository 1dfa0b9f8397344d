/**
 * @module @noa/store/testing
 * The contract suite every store backend must pass, for adapters outside this package.
 */
export type { ContractStoreOptions, ContractTestApi } from './contract.ts'
export { storeContract } from './contract.ts'
export type { Tmpfs } from './tmpfs.ts'
export { mountTmpfs } from './tmpfs.ts'
