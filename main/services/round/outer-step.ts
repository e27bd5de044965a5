import type { Logger } from '../../core/logging/logger';
import type { RunManifest } from '../../ports/run-manifest';
import type { TrainerPort } from '../../ports/trainer-port';
import type { RoundLedger } from '../earnings/round-ledger';
import type { CatchUpState } from './catch-up-state';
import { errorText } from './error-text';
import type { ModelAudit } from './model-audit';
import type { RoundStatus } from './round-status';
import type { ModelBasis } from './sync-report';
import { deletePayloadFiles, type GatheredWindow } from './window-gather';

export interface OuterStepOptions {
  manifest: RunManifest;
  trainer: TrainerPort;
  /** This peer's uid: its sync report's model proof is keyed by it. */
  uid: number;
  ledger: RoundLedger;
  /** The model this peer holds (for its sync reports), moved on by every outer step. */
  basis: ModelBasis;
  /** This peer's digests against the run's record, when the run publishes one. */
  audit: ModelAudit | null;
  catchUpState?: CatchUpState;
  /** Told after each outer step that changed the model (the engine sweeps old objects then). */
  onApplied(window: number): void;
  status: RoundStatus;
  log: Logger;
  now: () => number;
}

/**
 * Applies one window's gathered updates in the trainer (the outer step), and
 * records it: ledger, model basis, audit, catch-up state. When the step
 * fails the weights go back to the window's start, never left on this peer's
 * own trained weights, off the global model; whether the window is tried
 * again is the engine's to decide, and told here.
 */
export class OuterStep {
  constructor(private readonly options: OuterStepOptions) {}

  /**
   * Applies `gathered`. `mayTryAgain`, asked when the step fails: whether
   * the window is applied again before the next one trains (then its files
   * are kept for that try, unless the gather itself failed and must be done
   * again). Answers the window to try again, or null when it was applied or
   * given up.
   */
  async apply(gathered: GatheredWindow, replay: boolean, mayTryAgain: () => boolean): Promise<{ window: number; gathered: GatheredWindow | null } | null> {
    const { window, files, failure } = gathered;
    const { manifest, trainer, ledger, basis, audit, catchUpState, status, log, now } = this.options;
    const applying = status.startPhase('applying', null);
    let keepFiles = false;
    try {
      if (failure) throw new Error(failure);
      if (files.length === 0) {
        // No update counted (nobody's commitment was known at the window start, or nobody uploaded in time):
        // the global model is unchanged, so this peer's weights go back to it.
        await this.revertWindow(window);
        await ledger.append({ window, at: now(), phase: 'applied', phaseSeconds: { applying: status.endPhase(applying) }, ...(basis.digest ? { modelDigest: basis.digest } : {}) });
        audit?.noteApplied(window, basis.digest);
        await catchUpState?.noteApplied(window);
        log.info({ window }, 'no update counted; the model is unchanged');
        return null;
      }
      // Staged payloads (decoded once, when the gather checked them) are applied by key; the files stay the fallback.
      const applied = await trainer.applyOuter({ window, payloadFiles: files, ...(gathered.staged ? { staged: gathered.staged } : {}), lr: manifest.sparseloco.outerLr });
      await ledger.append({ window, at: now(), phase: 'applied', phaseSeconds: { applying: status.endPhase(applying) }, ...(applied.modelDigest ? { modelDigest: applied.modelDigest } : {}) });
      basis.applied(window, applied.modelDigest);
      await basis.prove(this.options.uid, trainer).catch((error: unknown) => log.warn({ window, err: error }, 'could not prove the model for the sync report'));
      audit?.noteApplied(window, applied.modelDigest);
      await catchUpState?.noteApplied(window);
      if (applied.preparationSkipped) log.warn({ window, reason: applied.preparationSkipped }, 'the outer step was made after the compute, not beside it');
      log.info({ window, peers: files.length, digest: applied.modelDigest, replay, prepared: applied.prepared ?? false }, 'outer step applied');
      this.options.onApplied(window);
      return null;
    } catch (error) {
      status.endPhase(applying);
      await this.revertWindow(window);
      const again = mayTryAgain();
      await ledger.append({ window, at: now(), phase: 'missed', reason: `outer step failed: ${errorText(error)}${again ? '; applied again before the next window' : ''}` });
      log.warn({ window, err: error, replay }, again ? 'outer step failed; back to the window start, replayed before the next window' : 'outer step failed');
      if (!again) return null;
      // A failed gather is gathered again (the inclusion rule gives the same set); otherwise the same files are applied again.
      keepFiles = failure === null;
      return { window, gathered: keepFiles ? gathered : null };
    } finally {
      if (!keepFiles) await deletePayloadFiles(gathered, trainer);
    }
  }

  /**
   * Takes the weights back to where `window` started, with no outer step.
   * Best effort: a trainer that died restarts from its checkpoint, which holds
   * the model before this window anyway.
   */
  async revertWindow(window: number): Promise<void> {
    try {
      await this.options.trainer.revertWindow(window);
    } catch (error) {
      this.options.log.warn({ window, err: error }, 'could not revert to the start of the window');
    }
  }
}
