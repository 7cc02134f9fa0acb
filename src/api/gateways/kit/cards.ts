import type { CardService, CardView } from '../../../vault/cards.ts';
import type { Caller } from '../../../vault/deps.ts';
/** A card the caller may use through a gateway: null when there is none or it was deleted (gateways answer "not found"). */
export async function liveCard(cards: Pick<CardService, 'get'>, caller: Caller, token: string): Promise<CardView | null> {
  const r = await cards.get(caller, token);
  return r.ok && r.value.storedStatus !== 'DELETED' ? r.value : null;
}
