/**
 * A gateway is one folder and one line in GATEWAYS: provisioning, key changes, the admin API's create body, the
 * CLI's options and commands, and the gateway's settings all derive from the list. A throwaway gateway added to
 * it shows up in each without another line anywhere (the HTTP wiring is proved in its own test).
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_IDS, GATEWAYS } from '../../../src/api/gateways/index.ts';
import { CredentialInputError } from '../../../src/api/gateways/kit/keys.ts';
import type { GatewayModule } from '../../../src/api/gateways/kit/module.ts';
import { MerchantCreate, merchantCreateSchema } from '../../../src/api/native/schemas.ts';
import { ConfigError, gatewaySettings, loadConfig } from '../../../src/config.ts';
import { buildProgram } from '../../../src/main.ts';
import { createScrubber } from '../../../src/store/scrub.ts';
import type { ProvisionedGateway } from '../../../src/vault/gateway-hooks.ts';
import { createMerchantService } from '../../../src/vault/merchants.ts';
import { ADMIN_TOKEN, makeTestApp, type TestApp } from '../../helpers/harness.ts';

const echo = {
  id: 'echo',
  title: 'Echo',
  prefixes: ['/echo/'],
  redactHeaders: ['x-echo-signature'],
  settings: [{ key: 'delayMs', env: 'TOKENVAULT_ECHO_DELAY_MS', default: 10, min: 0, max: 1000, description: 'How long Echo waits' }],
  credentials: {
    supplied: [
      {
        field: 'echoKey',
        schema: { type: 'string', minLength: 1, maxLength: 64, description: "Merchant's Echo key; generated when absent" },
        cli: { flag: '--echo-key <file>', description: "file with the merchant's Echo key (else generated)", read: 'file-text' },
      },
    ],
    prepare(supplied) {
      const key = supplied.echoKey as string | undefined;
      if (key === 'bad') throw new CredentialInputError('the Echo key must not be bad');
      return async () => {
        const merchantKey = key ?? `gen-${randomUUID()}`;
        return { lookupKey: randomUUID(), publicData: { merchantKey }, secretData: { secret: randomUUID() }, shown: { merchantKey } };
      };
    },
    keys: {
      async apply(current, change) {
        const key = change.merchantKey as string;
        if (key === 'bad') return { refused: 'the Echo key must not be bad' };
        const secret = await current.secret();
        return {
          publicData: { ...current.publicData, merchantKey: key },
          audit: { merchantKey: true },
          answer: { merchantKey: key, secretKept: typeof secret?.secret === 'string' },
        };
      },
      admin: {
        operationId: 'updateEchoKeys',
        summary: "Replace the merchant's Echo key",
        description: 'Echo keys have no history.',
        body: {
          type: 'object',
          properties: { merchantKey: { type: 'string', minLength: 1 } },
          additionalProperties: false,
          minProperties: 1,
        },
        response: { type: 'object', properties: { merchantKey: { type: 'string' } } },
      },
      cli: {
        description: "Replace the merchant's Echo key.",
        options: [{ field: 'merchantKey', cli: { flag: '--key <text>', description: 'the new Echo key', read: 'text' } }],
        missing: 'give --key TEXT',
      },
    },
  },
  server: () => Promise.reject(new Error('Echo serves nothing here')),
} satisfies GatewayModule<'echo'>;

const withEcho = [...GATEWAYS, echo];

describe('a gateway added to GATEWAYS', () => {
  it('adds its supplied keys to the admin API create body: optional, with its schema, and nothing else', () => {
    const body = merchantCreateSchema(withEcho);
    expect((body.properties as Record<string, unknown>).echoKey).toMatchObject(echo.credentials.supplied[0]?.schema ?? {});
    expect(body.required).toEqual(['name']);
    expect(Value.Check(body, { name: 'Acme', echoKey: 'mine' })).toBe(true);
    expect(Value.Check(body, { name: 'Acme', echoKey: '' })).toBe(false);
    expect(Value.Check(body, { name: 'Acme', echoKey: 'x'.repeat(65) })).toBe(false);
    // The served body is the one derived from GATEWAYS: the name and each supplied key that has a schema.
    const supplied = GATEWAYS.flatMap((g) => g.credentials.supplied as readonly { field: string; schema?: object }[]);
    expect(Object.keys(MerchantCreate.properties).sort()).toEqual(['name', ...supplied.filter((s) => s.schema).map((s) => s.field)].sort());
    expect(Object.keys(MerchantCreate.properties)).not.toContain('echoKey');
  });

  it('adds its options to merchants create and a merchants <id>-keys command with its options', async () => {
    const merchants = (program: Command) => program.commands.find((c) => c.name() === 'merchants') as Command;
    const sub = (program: Command, name: string) => merchants(program).commands.find((c) => c.name() === name);
    const flags = (c: Command | undefined) => c?.options.map((o) => o.long);

    const program = buildProgram({ gateways: withEcho });
    expect(flags(sub(program, 'create'))).toEqual(
      expect.arrayContaining(['--twoc2p-public-key', '--cybersource-mle-public-key', '--alliancepay-public-jwk', '--echo-key']),
    );
    expect(sub(program, 'create')?.helpInformation()).toMatch(/--echo-key <file> +file with the merchant's Echo key/);
    expect(flags(sub(program, 'echo-keys'))).toEqual(['--key']);
    expect(sub(program, 'echo-keys')?.description()).toBe("Replace the merchant's Echo key.");
    // Without an option, the gateway's own message, before the vault is opened.
    await expect(
      buildProgram({ gateways: withEcho, exitOverride: true }).parseAsync(['node', 'tokenvault', 'merchants', 'echo-keys', 'mch_x']),
    ).rejects.toThrow('give --key TEXT');

    // The real list: a key command for each gateway with a keys hook, and none for the others.
    const real = buildProgram();
    expect(flags(sub(real, 'create'))).not.toContain('--echo-key');
    expect(
      merchants(real)
        .commands.map((c) => c.name())
        .filter((n) => n.endsWith('-keys')),
    ).toEqual(GATEWAYS.filter((g) => 'keys' in g.credentials && g.credentials.keys).map((g) => `${g.id}-keys`));
  });

  it('gets its settings, each from its environment variable or its default, within its bounds', () => {
    expect(gatewaySettings(echo.settings, { TOKENVAULT_ECHO_DELAY_MS: '25' })).toEqual({ delayMs: 25 });
    expect(gatewaySettings(echo.settings, {})).toEqual({ delayMs: 10 });
    expect(() => gatewaySettings(echo.settings, { TOKENVAULT_ECHO_DELAY_MS: '1001' })).toThrow(ConfigError);
    expect(() => gatewaySettings(echo.settings, { TOKENVAULT_ECHO_DELAY_MS: '1001' })).toThrow('TOKENVAULT_ECHO_DELAY_MS');
    // The configuration holds each listed gateway's settings, by id.
    const config = loadConfig({});
    expect(Object.keys(config.gateways)).toEqual([...GATEWAY_IDS]);
    for (const g of GATEWAYS) expect(config.gateways[g.id]).toEqual(gatewaySettings(g.settings, {}));
  });
});

describe('provisioning and key changes for a gateway added to the list', () => {
  let t: TestApp;
  /** Which gateways started generating, in order. */
  const generated: string[] = [];
  const counted: ProvisionedGateway[] = withEcho.map((g) => ({
    id: g.id,
    credentials: {
      ...g.credentials,
      prepare(supplied) {
        const run = g.credentials.prepare(supplied);
        return () => {
          generated.push(g.id);
          return run();
        };
      },
    },
  }));
  let merchants: ReturnType<typeof createMerchantService>;

  beforeAll(async () => {
    t = await makeTestApp();
    const v = t.vault;
    merchants = createMerchantService(
      {
        db: v.store.db,
        keyring: v.keyring,
        master: v.master,
        now: v.now,
        cvvTtlMs: 60_000,
        scrubber: createScrubber((x) => v.store.scrub(x)),
        changes: v.changes,
      },
      { gateways: counted },
    );
  });
  afterAll(() => t.close());

  it('provisions every gateway of the list for a new merchant, with the key it supplied', async () => {
    generated.length = 0;
    const m = await merchants.create({ name: 'Echo Books', keys: { echoKey: 'mine' } });
    expect(Object.keys(m.gateways).sort()).toEqual([...GATEWAY_IDS, 'echo'].sort());
    expect(m.gateways.echo).toEqual({ merchantKey: 'mine' });
    expect(generated.sort()).toEqual([...GATEWAY_IDS, 'echo'].sort());
    const got = await merchants.get(m.id);
    expect(got.ok && got.value.gateways.echo).toEqual([{ merchantKey: 'mine' }]);
  });

  it('checks every supplied key before any gateway generates anything, and writes nothing when one is refused', async () => {
    generated.length = 0;
    const before = await merchants.list({ after: null, limit: 1000 });
    await expect(merchants.create({ name: 'Bad Echo', keys: { echoKey: 'bad' } })).rejects.toThrow(CredentialInputError);
    expect(generated).toEqual([]);
    expect(await merchants.list({ after: null, limit: 1000 })).toEqual(before);
  });

  it("changes its keys through the gateway's hook: written, audited with the gateway's detail, answered", async () => {
    const m = await merchants.create({ name: 'Echo Rotation' });
    const r = await merchants.updateGatewayKeys(m.id, 'echo', { merchantKey: 'next' }, 'cli');
    expect(r).toEqual({ ok: true, value: { merchantKey: 'next', secretKept: true } });
    const got = await merchants.get(m.id);
    expect(got.ok && got.value.gateways.echo).toEqual([{ merchantKey: 'next' }]);
    const events = await t.vault.store.db
      .selectFrom('audit_events')
      .select(['actor', 'action', 'detail'])
      .where('merchant_id', '=', m.id)
      .where('action', '=', 'credential.update')
      .execute();
    expect(events.map((e) => ({ ...e, detail: JSON.parse(e.detail ?? 'null') }))).toEqual([
      { actor: 'cli', action: 'credential.update', detail: { gateway: 'echo', merchantKey: true } },
    ]);

    expect(await merchants.updateGatewayKeys(m.id, 'echo', { merchantKey: 'bad' })).toEqual({
      ok: false,
      error: 'invalid_key',
      detail: 'the Echo key must not be bad',
    });
    expect(await merchants.updateGatewayKeys('mch_nope', 'echo', { merchantKey: 'x' })).toEqual({ ok: false, error: 'merchant_not_found' });
    // A gateway without a keys hook has nothing to change: a caller's bug, not an outcome.
    await expect(merchants.updateGatewayKeys(m.id, 'opay', {})).rejects.toThrow('no keys to change');
  });

  it('serves a key-change route for each listed gateway with a keys hook, and none for the others', async () => {
    for (const g of GATEWAYS) {
      const res = await t.app.inject({
        method: 'PUT',
        url: `/v1/admin/merchants/mch_nope/gateways/${g.id}/keys`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { unknownField: true },
      });
      // With a hook, the gateway's body schema refuses the unknown field; without one, there is no such route.
      const hooked = 'keys' in g.credentials && g.credentials.keys !== undefined;
      expect({ gateway: g.id, status: res.statusCode }).toEqual({ gateway: g.id, status: hooked ? 400 : 404 });
    }
  });
});
