import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type pg from 'pg';
import { aad, type Sealer } from './sealer.js';

function keyOf(q: { isEnterpriseInstall?: boolean | undefined; enterpriseId?: string | undefined; teamId?: string | undefined }): string {
  if (q.isEnterpriseInstall && q.enterpriseId) return `E:${q.enterpriseId}`;
  if (q.teamId) return `T:${q.teamId}`;
  throw new Error('an installation names neither a team nor an enterprise');
}

/**
 * Bolt's installation store on PostgreSQL (distributed mode). The whole installation, bot token included, is sealed
 * as one value bound to its key, so it is never readable at rest nor movable to another team's row.
 */
export function pgInstallationStore(pool: pg.Pool, box: Sealer): InstallationStore {
  return {
    async storeInstallation(installation) {
      const key = keyOf({
        isEnterpriseInstall: installation.isEnterpriseInstall,
        enterpriseId: installation.enterprise?.id,
        teamId: installation.team?.id,
      });
      await pool.query(
        `INSERT INTO slack_installation (install_key, team_id, enterprise_id, is_enterprise_install, sealed)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (install_key) DO UPDATE SET team_id = EXCLUDED.team_id, enterprise_id = EXCLUDED.enterprise_id,
           is_enterprise_install = EXCLUDED.is_enterprise_install, sealed = EXCLUDED.sealed, updated_at = now()`,
        [key, installation.team?.id ?? null, installation.enterprise?.id ?? null, Boolean(installation.isEnterpriseInstall),
          box.seal(JSON.stringify(installation), aad.installation(key))],
      );
    },
    async fetchInstallation(query: InstallationQuery<boolean>) {
      const key = keyOf(query);
      const { rows } = await pool.query<{ sealed: string }>('SELECT sealed FROM slack_installation WHERE install_key = $1', [key]);
      if (!rows[0]) throw new Error(`no installation for ${key}`);
      return JSON.parse(box.open(rows[0].sealed, aad.installation(key))) as Installation<'v1' | 'v2', boolean>;
    },
    async deleteInstallation(query: InstallationQuery<boolean>) {
      await pool.query('DELETE FROM slack_installation WHERE install_key = $1', [keyOf(query)]);
    },
  };
}
