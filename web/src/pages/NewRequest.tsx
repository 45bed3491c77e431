/** Create a request; the next page takes the log samples. */
import { useState } from "react";
import type { FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { api, must } from "../api/client";
import { Button, Card, ErrorBanner, Field, PageHeader } from "../components/ui";
import { useAction } from "../hooks";

const FIELDS = ["source_system", "description", "cim_required"];

export function NewRequest() {
  const navigate = useNavigate();
  const [sourceSystem, setSourceSystem] = useState("");
  const [description, setDescription] = useState("");
  const [cimRequired, setCimRequired] = useState(true);
  const { busy, error, run } = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const body = { source_system: sourceSystem, description, cim_required: cimRequired };
      const reply = await must(api.POST("/v1/requests", { body }));
      navigate(`/requests/${reply.request?.id ?? ""}`);
    });
  };

  return (
    <>
      <PageHeader title="New request" subtitle="Describe the log source; you add samples on the next page." />
      <Card className="narrow">
        <form onSubmit={submit} noValidate aria-label="New request">
          <Field label="Source system" name="source_system" error={error} hint="The product that writes the logs, e.g. Cisco ASA">
            {(id, describedBy, invalid) => (
              <input id={id} value={sourceSystem} aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setSourceSystem(e.target.value)} />
            )}
          </Field>
          <Field label="Description" name="description" error={error}>
            {(id, describedBy, invalid) => (
              <textarea id={id} rows={4} value={description} aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setDescription(e.target.value)} />
            )}
          </Field>
          <div className="field check">
            <input id="cim-required" type="checkbox" checked={cimRequired} onChange={(e) => setCimRequired(e.target.checked)} />
            <label htmlFor="cim-required">Map to the Splunk Common Information Model (CIM)</label>
          </div>
          <ErrorBanner error={error} fields={FIELDS} />
          <div className="actions">
            <Button type="submit" kind="primary" busy={busy}>
              Create request
            </Button>
            <Button kind="ghost" onClick={() => navigate(-1)}>
              Cancel
            </Button>
          </div>
        </form>
      </Card>
    </>
  );
}
