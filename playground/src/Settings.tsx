/** The side panel: model, system prompt, temperature, max tokens, and the conversation's token totals. */
import type { Model, Usage } from "../../client/index.js";

/** What the person chose for the next turns. */
export interface ChatSettings {
  model: string;
  system: string;
  temperature: number;
  /** Empty: the model's own limit. */
  maxTokens: string;
}

/** Props of `Settings`. */
export interface SettingsProps {
  models: Model[];
  settings: ChatSettings;
  onChange: (settings: ChatSettings) => void;
  usage: Usage;
  onClear: () => void;
}

/** The settings form. */
export function Settings({ models, settings, onChange, usage, onClear }: SettingsProps) {
  const set = (patch: Partial<ChatSettings>) => onChange({ ...settings, ...patch });
  return (
    <aside className="settings">
      <label>
        Model
        <select value={settings.model} onChange={(e) => set({ model: e.target.value })} data-testid="model">
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id}
            </option>
          ))}
        </select>
      </label>
      <label>
        System prompt
        <textarea rows={5} value={settings.system} onChange={(e) => set({ system: e.target.value })} placeholder="You are a helpful assistant." />
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
      <label>
        Max tokens
        <input
          type="number"
          min={1}
          step={1}
          inputMode="numeric"
          value={settings.maxTokens}
          onChange={(e) => set({ maxTokens: e.target.value })}
          placeholder="model default"
        />
      </label>
      <div className="totals" data-testid="totals">
        <span>Conversation</span>
        <span>
          {usage.prompt_tokens} prompt · {usage.completion_tokens} completion · {usage.total_tokens} total tokens
        </span>
      </div>
      <button type="button" onClick={onClear}>
        Clear conversation
      </button>
    </aside>
  );
}
