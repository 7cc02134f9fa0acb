/** A vault card as 2C2P answers it (the JSON inside the response envelope), in the seed's field order. */
import { formatExpiry, maskPan } from '../../../domain/card.ts';
import type { CardView } from '../../../vault/cards.ts';
import type { Body } from '../kit/fields.ts';
import { status } from './codes.ts';

function cardFields(card: CardView, twoc2pId: string) {
  const a = card.attributes;
  return {
    merchantID: twoc2pId,
    token: card.token,
    name: card.holderName ?? '',
    email: a.email ?? '',
    expiry: a.expiryDate ?? formatExpiry(card.expiry, 'yyyy-MM-dd'),
    accountIssuer: a.accountIssuer ?? '',
    accountIssuerCountry: a.accountIssuerCountry ?? '',
    accountCurrency: a.accountCurrency ?? '',
  };
}

/** The answer to add: merchantID, token, tokenReference, accountNo (masked), then the card fields. */
export function addedAnswer(card: CardView, twoc2pId: string): Body {
  const { merchantID, token, ...rest } = cardFields(card, twoc2pId);
  return {
    merchantID,
    token,
    tokenReference: '',
    accountNo: maskPan({ bin6: card.bin6, last4: card.last4, length: card.panLength }, 'X'),
    ...rest,
    channelCode: '',
    subChannelCode: '',
    ...status('success'),
  };
}

/** The answer to update and get (no accountNo, no tokenReference). */
export const cardAnswer = (card: CardView, twoc2pId: string): Body => ({
  ...cardFields(card, twoc2pId),
  channelCode: '',
  subChannelCode: '',
  ...status('success'),
});

export const deletedAnswer = (twoc2pId: string, token: string): Body => ({ merchantID: twoc2pId, token, ...status('success') });
