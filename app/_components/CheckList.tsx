"use client";

/** A set of named choices as checkboxes, in the order given (API token scopes, webhook events). */
export function CheckList<T extends string>({ legend, name, options, chosen, onChange }: {
  legend: string;
  name: string;
  options: Record<T, string>;
  chosen: readonly T[];
  onChange: (chosen: T[]) => void;
}) {
  const all = Object.keys(options) as T[];
  return (
    <fieldset className="stack" style={{ border: "none", padding: 0, margin: 0 }}>
      <legend className="small" style={{ fontWeight: 600 }}>{legend}</legend>
      {all.map((o) => (
        <label key={o} className="row small" style={{ gap: ".4rem" }}>
          <input type="checkbox" name={name} value={o} checked={chosen.includes(o)}
            onChange={(e) => onChange(all.filter((x) => (x === o ? e.currentTarget.checked : chosen.includes(x))))} />
          <span><code>{o}</code> — {options[o]}</span>
        </label>
      ))}
    </fieldset>
  );
}
