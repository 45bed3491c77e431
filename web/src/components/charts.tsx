/** Small SVG charts: horizontal bars, a column series, a ring, a coverage bar with thresholds. */
import { percent } from "../format";

export interface Datum {
  label: string;
  value: number;
  tone?: string;
}

/** One horizontal bar per datum, scaled to the largest. */
export function BarList({ data, title }: { data: Datum[]; title: string }) {
  const max = Math.max(1, ...data.map((d) => d.value));
  return (
    <figure className="chart" aria-label={title}>
      <ul className="bar-list">
        {data.map((d) => (
          <li key={d.label}>
            <span className="bar-label">{d.label}</span>
            <span className="bar-track">
              <span className={`bar-fill tone-${d.tone ?? "blue"}`} style={{ width: `${(d.value / max) * 100}%` }} />
            </span>
            <span className="bar-value">{d.value}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** Columns over time (e.g. requests per day); labels under the first, middle and last. */
export function Columns({ data, title }: { data: Datum[]; title: string }) {
  const width = 560;
  const height = 150;
  const pad = 22;
  const max = Math.max(1, ...data.map((d) => d.value));
  const step = (width - pad) / Math.max(1, data.length);
  const marks = new Set([0, Math.floor(data.length / 2), data.length - 1]);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={title} className="columns">
        <title>{title}</title>
        <line x1={pad} x2={width} y1={height} y2={height} className="axis" />
        <text x={0} y={12} className="tick">
          {max}
        </text>
        {data.map((d, i) => {
          const h = (d.value / max) * (height - 16);
          return (
            <g key={d.label}>
              <rect x={pad + i * step + 2} y={height - h} width={Math.max(2, step - 4)} height={h} rx={3} className={`tone-${d.tone ?? "blue"}`}>
                <title>{`${d.label}: ${d.value}`}</title>
              </rect>
              {marks.has(i) && (
                <text x={pad + i * step + step / 2} y={height + 15} textAnchor="middle" className="tick">
                  {d.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** A ring showing one share (0..1) with the figure in the middle. */
export function Ring({ share, title, caption }: { share: number | null; title: string; caption: string }) {
  const r = 42;
  const c = 2 * Math.PI * r;
  const shown = share ?? 0;
  return (
    <figure className="chart ring">
      <svg viewBox="0 0 100 100" role="img" aria-label={`${title}: ${share === null ? "no data" : percent(shown)}`}>
        <circle cx="50" cy="50" r={r} className="ring-track" />
        {shown > 0 && <circle
          cx="50"
          cy="50"
          r={r}
          className={`ring-fill ${shown >= 0.8 ? "tone-green" : shown >= 0.5 ? "tone-amber" : "tone-red"}`}
          strokeDasharray={`${c * shown} ${c}`}
          transform="rotate(-90 50 50)"
        />}
        <text x="50" y="55" textAnchor="middle" className="ring-text">
          {share === null ? "—" : percent(shown)}
        </text>
      </svg>
      <figcaption className="muted">{caption}</figcaption>
    </figure>
  );
}

/**
 * A coverage bar (0..1) against two thresholds: below `error` is failing, below `warning`
 * a warning; the thresholds are drawn as marks on the bar.
 */
export function CoverageBar(props: { name: string; share: number; error: number; warning: number; detail?: string }) {
  const { share, error, warning } = props;
  const tone = share < error ? "red" : share < warning ? "amber" : "green";
  return (
    <div className="coverage">
      <div className="coverage-head">
        <span className="mono">{props.name}</span>
        <span className={`coverage-value tone-text-${tone}`}>{percent(share, 1)}</span>
      </div>
      <div
        className="coverage-track"
        role="meter"
        aria-label={`${props.name} coverage`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(share * 1000) / 10}
      >
        <span className={`coverage-fill tone-${tone}`} style={{ width: percent(Math.min(1, share), 2) }} />
        <span className="threshold error" style={{ left: percent(error, 2) }} title={`error below ${percent(error)}`} />
        <span className="threshold warning" style={{ left: percent(warning, 2) }} title={`warning below ${percent(warning)}`} />
      </div>
      {props.detail && <small className="muted">{props.detail}</small>}
    </div>
  );
}
