import { Link } from "react-router-dom";
import { Card } from "../components/ui";

export function NotFound() {
  return (
    <Card title="Page not found">
      <p>There is nothing at this address.</p>
      <Link className="btn" to="/">
        Back to the overview
      </Link>
    </Card>
  );
}
