import { type EpochRotationReport, rotateEpoch, type RotateEpochOptions } from './commands/rotateEpoch.js';
import { type CommandOptions, type CommandResult, SubjectCommands } from './commands/SubjectCommands.js';
import { type SweepOptions, type SweepReport, sweepRetention } from './commands/sweepRetention.js';
import { schemaBaseUrl } from './config/apiSettings.js';
import { DEFAULT_CACHE_SUBJECTS, type VaultConfig } from './config/loadConfig.js';
import {
  openKekProvider,
  openLeaseStore,
  openMemoryAccessLog,
  openMemoryLeaseStore,
  openStores,
  type VaultStores,
} from './config/openStores.js';
import {
  openNotificationTransport,
  propagationSettings,
  resolveRecipientSecrets,
} from './config/propagationSettings.js';
import { BlindIndex } from './crypto/blindIndex.js';
import { KeyRing } from './crypto/keyRing.js';
import { Signer } from './crypto/signer.js';
import { VaultError } from './domain/errors.js';
import { type ProcessingRegister, withOwnNamesOnly } from './domain/register.js';
import type { Command } from './domain/subject.js';
import { isoNow } from './domain/time.js';
import { readHealthFacts, recordSweep } from './observability/healthFacts.js';
import { NO_METRICS, type VaultMetrics } from './observability/metrics.js';
import { instrumentStores } from './observability/metricsStores.js';
import { traceCommands, traceProjector, traceStores } from './observability/tracingVault.js';
import type { AccessLog, AccessLogEntry } from './ports/AccessLog.js';
import type { RecordedEvent } from './ports/EventLog.js';
import type { KekProvider } from './ports/KekProvider.js';
import type { LeaseStore } from './ports/LeaseStore.js';
import type { NotificationTransport } from './ports/NotificationTransport.js';
import { PROJECTION, Projector } from './projections/Projector.js';
import { Propagation, type PropagationOptions, recipientsOfChange } from './propagation/Propagation.js';
import { SubjectReader } from './read/SubjectReader.js';
import { loadRegister } from './register/loadRegister.js';
import { type EraseOptions, eraseSubject, type SignedCertificate } from './rights/eraseSubject.js';
import { SubjectRights } from './rights/SubjectRights.js';
import type { TransmitPolicy } from './rights/transmitExport.js';

export interface OpenVaultOptions {
  /** Stores to use instead of the embedded SQLite files (tests, production adapters). */
  stores?: VaultStores;
  /** The processing register. Default: loaded from `config.registerFile`, else the shipped example. */
  register?: ProcessingRegister;
  /**
   * Where reads of personal data are recorded. Default: `access.db` in the data directory; with
   * injected `stores`, an in-memory SQLite log (tests).
   */
  accessLog?: AccessLog;
  /** Clock for decisions; default the system clock. */
  now?: () => string;
  /** Follow the log live (serve). Default false: callers drive `projector.catchUp()`. */
  live?: boolean;
  /** Receives operational warnings (never data). Default: `process.emitWarning`. */
  warn?: (message: string) => void;
  /** Custody of the key-encryption keys. Default: the one the configuration names (`openKekProvider`). */
  kek?: KekProvider;
  /**
   * Propagation to the register's recipients (Art. 19): runs with `live` when the register declares any. `false`
   * turns it off (a replica that only serves reads); options override the configured ones (`VAULT_NOTIFY_*`), and
   * `transport`/`secrets` the webhook transport and the secrets the register names (tests).
   */
  propagation?:
    false | (PropagationOptions & { transport?: NotificationTransport; secrets?: ReadonlyMap<string, string> });
  /**
   * Where store calls, erasures, sweeps and rotations are counted, and the state gauges read from. Default
   * `NO_METRICS` (nothing is counted); `vault serve` passes `createPrometheusMetrics()` unless `VAULT_METRICS=off`.
   */
  metrics?: VaultMetrics;
  /** How a direct transmission of a portability export (Art. 20(2)) is retried. Default: `TransmitPolicy`'s. */
  transmission?: TransmitPolicy;
}

export interface Vault {
  config: VaultConfig;
  register: ProcessingRegister;
  stores: VaultStores;
  keyRing: KeyRing;
  signer: Signer;
  blindIndex: BlindIndex;
  commands: SubjectCommands;
  projector: Projector;
  reader: SubjectReader;
  /** Requests with deadlines, access reports, portability exports, download links, duty to inform. */
  rights: SubjectRights;
  /** Who read which categories of whom, for what (no values): for the access report. */
  accessLog: AccessLog;
  /** Notifications to the register's recipients; running only in a live vault whose register declares some. */
  propagation?: Propagation;
  /** Runs a command and waits until the read models show its effect. */
  execute(subjectId: string, command: Command, options: CommandOptions): Promise<CommandResult>;
  erase(subjectId: string, options: EraseOptions): Promise<SignedCertificate>;
  /** Shreds what retention says is due (see commands/sweepRetention.ts), then waits for the read models. */
  sweepRetention(options?: SweepOptions): Promise<SweepReport>;
  /**
   * Ends the current key epoch: re-wraps the keys, re-computes the blind index under the new epoch's index key and
   * destroys the old KEK (see commands/rotateEpoch.ts).
   */
  rotateEpoch(options?: RotateEpochOptions): Promise<EpochRotationReport>;
  /** The vault's clock (injectable through `OpenVaultOptions.now`). */
  now(): string;
  /**
   * Reads an API server still buffers are written with this before anyone asks who read a subject (an erasure
   * certificate's recipients, propagation): the server sets it.
   */
  useAccessFlush(flush: () => Promise<void>): void;
  /** Its metrics (`NO_METRICS` when off); the server serves them and adds the API's own. */
  metrics: VaultMetrics;
  close(): Promise<void>;
}

/** The key-store secret the signing key (certificates, exports) is derived from. */
export const SIGNING_SECRET = 'signing-seed';

/** The composition root: wires the stores (`config/openStores.ts` picks the adapters) to the services. */
// The composition root: the order stores open in (and close in, on a failure) reads top to bottom.
// eslint-disable-next-line max-lines-per-function -- see above
export async function openVault(config: VaultConfig, options: OpenVaultOptions = {}): Promise<Vault> {
  const warn = options.warn ?? ((m: string) => process.emitWarning(m));
  // A register built in code gets the prototype-free name maps a loaded one already has.
  const register = options.register ? withOwnNamesOnly(options.register) : await loadRegister(config.registerFile);
  const metrics = options.metrics ?? NO_METRICS;
  // Store calls in spans while tracing is on (the stores themselves, untouched, when it is off).
  const adapters = adaptersOf(config, options);
  const opened = instrumentStores(
    traceStores(options.stores ?? (await openStores(config, { warn })), adapters),
    adapters,
    metrics,
  );
  const storedAccess = options.accessLog ?? opened.access ?? openMemoryAccessLog();
  // Everything opened here or handed over is closed with the vault, the stores' own access log included.
  let kek: KekProvider | undefined;
  let propagation: Propagation | undefined;
  // Every read this process writes is shown to propagation, which may have examined a change without it.
  const accessLog = noticingWrites(storedAccess, (entries) => propagation?.readsStored(entries));
  // The claims replicas share (propagation's on notifications, the transmissions'), opened at the first need.
  let leaseStore: Promise<LeaseStore> | undefined;
  const leases = () => (leaseStore ??= openLeases(config, options));
  const closeAll = () =>
    Promise.allSettled([
      opened.log.close(),
      opened.keys.close(),
      opened.views.close(),
      storedAccess.close(),
      ...(opened.access && opened.access !== storedAccess ? [opened.access.close()] : []),
      ...(kek ? [kek.close()] : []),
      ...(leaseStore ? [leaseStore.then((l) => l.close())] : []),
    ]);
  try {
    kek = options.kek ?? (await openKekProvider(config, { allowGenerate: !options.stores, warn }));
    const keyRing = await KeyRing.open(opened.keys, kek, { epochMs: config.keyEpochMs });
    // The master key is in the KEK custody now; the configuration the vault keeps does not hold it.
    config = { ...config, masterKey: undefined, pkcs11: config.pkcs11 ? { ...config.pkcs11, pin: '' } : undefined };
    const signer = new Signer(await keyRing.secret(SIGNING_SECRET, 32));
    const blindIndex = new BlindIndex(keyRing);
    const now = options.now ?? isoNow;
    const cacheSize = config.cacheSubjects ?? DEFAULT_CACHE_SUBJECTS;
    const commands = new SubjectCommands(
      { log: opened.log, views: opened.views, keyRing, register, now },
      { stateCacheSize: cacheSize },
    );
    const projector = new Projector(
      { log: opened.log, views: opened.views, keyRing, blindIndex, register },
      { stateCacheSize: cacheSize },
    );
    traceCommands(commands);
    traceProjector(projector);
    if (options.live) {
      // Read models ahead of the log were built from another log (an emptied data directory, another
      // event store): serving on them would acknowledge writes it can never project.
      const [checkpoint, head] = await Promise.all([opened.views.checkpoint(PROJECTION), opened.log.headPosition()]);
      if (checkpoint > head) {
        throw new VaultError(
          'CONFIG_INVALID',
          `The read models are at log position ${checkpoint} but the event log ends at ${head}: they were built from ` +
            `another event log. Point VAULT_DATA_DIR (or VAULT_KURRENTDB_URL) and the state store at the same ` +
            `deployment, or rebuild the read models from this log with vault rebuild`,
        );
      }
    }
    // Finishes whatever a previous process left: projections, and the key deletions of shred events.
    await projector.catchUp();
    if (options.live) await projector.start();
    propagation = await startPropagation(config, register, { log: opened.log, accessLog, leases, now }, options);
    const reader = new SubjectReader({ views: opened.views, keyRing, register, now }, { snapshotCacheSize: cacheSize });

    const execute = async (subjectId: string, command: Command, o: CommandOptions) => {
      const result = await commands.execute(subjectId, command, o);
      if (result.position > 0) await projector.waitFor(result.position);
      return result;
    };
    let flushAccess: (() => Promise<void>) | undefined;
    const recipientsOf = async (erasure: RecordedEvent) => {
      await flushAccess?.();
      return recipientsOfChange({ register, accessLog }, erasure);
    };
    const erase = async (subjectId: string, o: EraseOptions) => {
      let cert;
      try {
        cert = await eraseSubject({ commands, log: opened.log, signer, keyRing, recipientsOf }, subjectId, o);
      } catch (e) {
        metrics.erasure('failed');
        throw e;
      }
      metrics.erasure('completed');
      await projector.waitFor(await opened.log.headPosition());
      return cert;
    };
    const schemaBase = schemaBaseUrl(config);
    const rights = new SubjectRights({
      log: opened.log,
      views: opened.views,
      keyRing,
      register,
      accessLog,
      signer,
      commands,
      now,
      execute,
      erase,
      ...(schemaBase ? { schemaBaseUrl: () => schemaBase } : {}),
      ...(options.transmission ? { transmission: options.transmission } : {}),
      leases,
    });
    watchState(metrics, { stores: opened, accessLog, keyRing, now, propagation });
    return {
      config,
      register,
      metrics,
      stores: opened,
      rights,
      keyRing,
      signer,
      blindIndex,
      commands,
      projector,
      reader,
      accessLog,
      execute,
      erase,
      now,
      useAccessFlush: (flush) => {
        flushAccess = flush;
        propagation?.useAccessFlush(flush);
      },
      sweepRetention: (o) =>
        counted(metrics, o?.dryRun, async () => {
          const report = await sweepRetention({ views: opened.views, commands, register, now }, o);
          if (report.shredded > 0) await projector.waitFor(await opened.log.headPosition(), 60_000);
          // Where every process and `vault status` find it: the alert on a sweep that did not run reads it.
          if (!report.dryRun) await recordSweep(opened.keys, { at: now(), ...report });
          return report;
        }),
      rotateEpoch: async (o) => {
        metrics.epochRotationStarted();
        const started = performance.now();
        const seconds = () => (performance.now() - started) / 1000;
        try {
          const report = await rotateEpoch({ keyRing, views: opened.views, blindIndex, register }, o);
          metrics.epochRotationFinished('completed', seconds());
          return report;
        } catch (e) {
          metrics.epochRotationFinished('failed', seconds());
          throw e;
        }
      },
      ...(propagation ? { propagation } : {}),
      close: async () => {
        await propagation?.stop();
        await projector.stop();
        await closeAll();
      },
    };
  } catch (e) {
    await propagation?.stop();
    await closeAll();
    throw e;
  }
}

/**
 * The access log as this process writes it: once a batch is stored, `stored` sees it (before `append` resolves, so
 * a server that writes its last reads at close has them seen before propagation stops).
 */
function noticingWrites(log: AccessLog, stored: (entries: readonly AccessLogEntry[]) => void): AccessLog {
  const out = Object.create(log) as AccessLog;
  out.append = async (entries) => {
    await log.append(entries);
    stored(entries);
  };
  return out;
}

/** Starts propagation where it runs (a live vault whose register declares recipients), with its secrets checked. */
async function startPropagation(
  config: VaultConfig,
  register: ProcessingRegister,
  deps: { log: VaultStores['log']; accessLog: AccessLog; leases: () => Promise<LeaseStore>; now: () => string },
  options: OpenVaultOptions,
): Promise<Propagation | undefined> {
  if (!options.live || options.propagation === false || Object.keys(register.recipients ?? {}).length === 0) return;
  const { transport, secrets, ...given } = options.propagation ?? {};
  const { log, accessLog, now } = deps;
  // Closed with the vault, as the stores are; stores handed over without one deliver as the only process.
  const leases = await deps.leases();
  const propagation = new Propagation(
    {
      log,
      accessLog,
      register,
      leases,
      now,
      secrets: secrets ?? resolveRecipientSecrets(register),
      transport: transport ?? openNotificationTransport(config.publicUrl),
    },
    { warn: options.warn, ...propagationSettings(), ...given },
  );
  await propagation.start();
  return propagation;
}

/**
 * The lease store replicas claim work in, closed with the vault as the stores are: the configured one (PostgreSQL's
 * schema, else `leases.db`); stores handed over bring theirs, or without one work as the only process (in memory).
 */
async function openLeases(config: VaultConfig, options: OpenVaultOptions): Promise<LeaseStore> {
  if (options.stores) return options.stores.leases ?? openMemoryLeaseStore();
  return openLeaseStore(config, options.warn ? { warn: options.warn } : {});
}

/** The `adapter` label of each store: the configured adapter, or `custom` for stores handed over. */
function adaptersOf(config: VaultConfig, options: OpenVaultOptions) {
  const events = options.stores ? 'custom' : (config.eventStore ?? 'sqlite');
  const state = options.stores ? 'custom' : (config.stateStore ?? 'sqlite');
  const access = options.accessLog ? 'custom' : state;
  return { eventLog: events, keyStore: state, viewStore: state, accessLog: access };
}

/** A retention sweep, counted with its outcome and duration (a dry run is not a sweep). */
async function counted(metrics: VaultMetrics, dryRun: boolean | undefined, run: () => Promise<SweepReport>) {
  const started = performance.now();
  try {
    const report = await run();
    if (!dryRun) metrics.retentionSweep(report, (performance.now() - started) / 1000);
    return report;
  } catch (e) {
    if (!dryRun) metrics.retentionSweep({ failed: (e as { code?: string }).code ?? 'INTERNAL' }, 0);
    throw e;
  }
}

/** The gauges read at scrape time: the read models' state and the writer threads' queues. */
function watchState(
  metrics: VaultMetrics,
  deps: {
    stores: VaultStores;
    accessLog: AccessLog;
    keyRing: KeyRing;
    now: () => string;
    propagation: Propagation | undefined;
  },
): void {
  if (!metrics.enabled) return;
  const { log, views, keys } = deps.stores;
  metrics.setStateSource(() =>
    readHealthFacts({
      log,
      views,
      keys,
      checkpoint: () => views.checkpoint(PROJECTION),
      epochs: () => deps.keyRing.kek.epochs(),
      now: deps.now,
    }),
  );
  metrics.setQueue('eventLogWriter', () => log.pendingWrites);
  metrics.setQueue('keyStoreWriter', () => keys.pendingWrites);
  metrics.setQueue('accessLogWriter', () => deps.accessLog.pendingWrites);
  const { propagation } = deps;
  if (propagation)
    metrics.setNotificationSource(
      () => propagation.statusCounts(),
      () => propagation.deliveryPaused,
    );
}
