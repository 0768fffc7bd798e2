export interface MatchedRoute { id: string }
