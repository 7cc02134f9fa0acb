/**
 * This database's deployment id: random, made by the first instance to ask and kept in `settings`, so every
 * instance on one database has the same and another deployment (or test database) has its own. State kept
 * outside the database, in a Redis several deployments may share, is namespaced by it.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { merchantStore } from '../store/merchant-store.ts';

const DEPLOYMENT_SETTING = 'deployment_id';

export async function deploymentId(db: Db): Promise<string> {
  const kept = await merchantStore.getSetting(db, DEPLOYMENT_SETTING);
  return kept ?? merchantStore.putSettingIfAbsent(db, DEPLOYMENT_SETTING, randomBytes(12).toString('base64url'));
}
