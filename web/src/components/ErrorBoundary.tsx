/** Whatever a page throws while rendering, the reader sees a message and a way back. */
import { Component } from "react";
import type { ErrorInfo, ReactNode } from "react";

interface State {
  failed: boolean;
}

export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, State> {
  state: State = { failed: false };

  static getDerivedStateFromError(): State {
    return { failed: true };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("console page failed", error, info.componentStack);
  }

  componentDidUpdate(previous: { resetKey?: string }): void {
    if (this.state.failed && previous.resetKey !== this.props.resetKey) this.setState({ failed: false });
  }

  render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="card oops" role="alert">
        <h1>This page could not be shown</h1>
        <p>Something unexpected happened while showing it. Your data is safe.</p>
        <p>
          <button type="button" className="btn primary" onClick={() => window.location.reload()}>
            Reload
          </button>{" "}
          <a className="btn" href="/">
            Go home
          </a>
        </p>
      </div>
    );
  }
}
