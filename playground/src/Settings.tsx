/**
 * The side panel (a drawer on a phone): model (from the gateway's list, refreshable, or typed as
 * `provider/model`), system prompt, sampling fields, JSON mode, extra fields, the conversation's
 * token totals, and what to do with the conversation (view code, export, clear).
 */
import type { Model, Usage } from "../../client/index.js";
import type { ChatSettings } from "./chat-settings.js";

/** Props of `Settings`. */
export interface SettingsProps {
  models: Model[];
  modelsLoading: boolean;
  onRefreshModels: () => void;
  settings: ChatSettings;
  onChange: (settings: ChatSettings) => void;
  /** Why the settings cannot be sent as they are, if so. */
  problem: string | null;
  usage: Usage;
  /** True when some reply's usage is an estimate (it was stopped before the server counted it). */
  usageEstimated: boolean;
  onClear: () => void;
  onViewCode: () => void;
  onExport: () => void;
  onClose: () => void;
  /** Folded (a phone's default): still in the page, so the model list and the fields keep their state. */
  hidden: boolean;
}

const CUSTOM = "__custom__";

/** The settings form. */
export function Settings(props: SettingsProps) {
  const { models, settings, onChange, usage } = props;
  const set = (patch: Partial<ChatSettings>) => onChange({ ...settings, ...patch });
  const listed = models.some((m) => m.id === settings.model);
  return (
    <aside className="settings" id="settings" aria-label="Settings" hidden={props.hidden}>
      <div className="settings-head">
        <strong>Settings</strong>
        <button type="button" className="small close-settings" onClick={props.onClose} aria-label="Close settings">
          Close
        </button>
      </div>
      <label>
        Model
        <span className="model-row">
          <select
            value={settings.customModel || (!listed && settings.model !== "") ? CUSTOM : settings.model}
            onChange={(e) => (e.target.value === CUSTOM ? set({ customModel: true }) : set({ model: e.target.value, customModel: false }))}
            data-testid="model"
          >
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
              </option>
            ))}
            <option value={CUSTOM}>Type a model id…</option>
          </select>
          <button type="button" className="small" onClick={props.onRefreshModels} disabled={props.modelsLoading} aria-label="Refresh the model list">
            ↻
          </button>
        </span>
      </label>
      {settings.customModel && (
        <label>
          Custom model id
          <input value={settings.model} onChange={(e) => set({ model: e.target.value.trim() })} placeholder="provider/model" spellCheck={false} />
        </label>
      )}
      <label>
        System prompt
        <textarea rows={4} value={settings.system} onChange={(e) => set({ system: e.target.value })} placeholder="You are a helpful assistant." />
      </label>
      <div className="field">
        <span>
          Temperature <output>{settings.temperature.toFixed(1)}</output>
        </span>
        <input
          type="range"
          aria-label="Temperature"
          min={0}
          max={2}
          step={0.1}
          value={settings.temperature}
          onChange={(e) => set({ temperature: Number(e.target.value) })}
        />
      </div>
      <div className="pair">
        <label>
          Max tokens
          <input
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            value={settings.maxTokens}
            onChange={(e) => set({ maxTokens: e.target.value })}
            placeholder="default"
          />
        </label>
        <label>
          Top P
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            inputMode="decimal"
            value={settings.topP}
            onChange={(e) => set({ topP: e.target.value })}
            placeholder="default"
          />
        </label>
      </div>
      <div className="pair">
        <label>
          Seed
          <input type="number" step={1} inputMode="numeric" value={settings.seed} onChange={(e) => set({ seed: e.target.value })} placeholder="random" />
        </label>
        <label className="check">
          <input type="checkbox" checked={settings.jsonMode} onChange={(e) => set({ jsonMode: e.target.checked })} />
          JSON mode
        </label>
      </div>
      <label>
        Stop sequences (one per line)
        <textarea rows={2} value={settings.stop} onChange={(e) => set({ stop: e.target.value })} spellCheck={false} />
      </label>
      <label>
        Extra fields (JSON, sent as extra_body)
        <textarea rows={2} value={settings.extra} onChange={(e) => set({ extra: e.target.value })} placeholder='{"echo_delay_ms": 5}' spellCheck={false} />
      </label>
      {props.problem && (
        <p className="field-error" role="alert" data-testid="settings-problem">
          {props.problem}
        </p>
      )}
      <div className="totals" data-testid="totals">
        <span>Conversation{props.usageEstimated ? " (≈: stopped replies estimated)" : ""}</span>
        <span>
          {usage.prompt_tokens} prompt · {usage.completion_tokens} completion · {usage.total_tokens} total tokens
        </span>
      </div>
      <div className="actions">
        <button type="button" onClick={props.onViewCode}>
          View code
        </button>
        <button type="button" onClick={props.onExport}>
          Export JSON
        </button>
        <button type="button" onClick={props.onClear}>
          Clear conversation
        </button>
      </div>
    </aside>
  );
}
