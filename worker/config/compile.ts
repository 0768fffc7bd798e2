export interface CompiledConfig { version: number }
