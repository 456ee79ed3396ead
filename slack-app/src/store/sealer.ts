/** The secret box the backend provides (backend/src/secrets/box.ts): the Slack app seals with it, never its own. */
export interface Sealer {
  seal(plaintext: string, aad: string): string;
  open(sealed: string, aad: string): string;
}

export class NoSecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoSecretKeyError';
  }
}

/** What each sealed value is bound to: a ciphertext moved to another row fails to open. */
export const aad = {
  teamToken: (team: string) => `slack_team_link:${team}:token`,
  teamReader: (team: string) => `slack_team_link:${team}:reader`,
  userToken: (team: string, user: string) => `slack_user_link:${team}:${user}`,
  installation: (key: string) => `slack_installation:${key}`,
};
