/** Knowledge base: documents and their indexing state, uploads (knowledge managers), search. */
import { Fragment, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import { api, must, uploadFile, type SearchResult } from "../api/client";
import { Dropzone } from "../components/Dropzone";
import { Button, Card, DataTable, Empty, ErrorBanner, Field, PageHeader } from "../components/ui";
import { bytes, label, when } from "../format";
import { useAction, useLoad } from "../hooks";
import { useSession } from "../session";

const DOCUMENT_TYPES = ["markdown", "pdf", "splunk_doc", "ta_archive"];

/** The document type a file name suggests. */
function typeOf(name: string): string {
  const lower = name.toLowerCase();
  if (lower.endsWith(".pdf")) return "pdf";
  if (lower.endsWith(".md") || lower.endsWith(".markdown")) return "markdown";
  if (lower.endsWith(".tgz") || lower.endsWith(".tar.gz") || lower.endsWith(".spl")) return "ta_archive";
  return "splunk_doc";
}

/**
 * The snippet with its matches marked: the platform wraps them in `**` (its headline
 * markers); a result without markers gets the query's words marked here.
 */
function highlight(text: string, query: string): ReactNode {
  // Odd parts of a split on the markers (or on a capturing pattern) are the matches.
  const marked = (parts: string[]) =>
    parts.map((part, i) => (i % 2 === 1 ? <mark key={i}>{part}</mark> : <Fragment key={i}>{part}</Fragment>));
  if (text.includes("**")) return marked(text.split("**"));
  const words = query.split(/\s+/).filter((w) => w.length > 1).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (words.length === 0) return text;
  return marked(text.split(new RegExp(`(${words.join("|")})`, "gi")));
}

export default function Knowledge() {
  const { has } = useSession();
  const manager = has("KNOWLEDGE_MANAGER", "ADMIN");
  const documents = useLoad(async () => {
    const [list, stats] = await Promise.all([
      must(api.GET("/v1/knowledge/documents", { params: { query: { page_size: 200 } } })),
      must(api.GET("/v1/knowledge/documents:statistics")),
    ]);
    return { documents: list.documents ?? [], stats };
  }, []);
  const [title, setTitle] = useState("");
  const [documentType, setDocumentType] = useState("");
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<{ query: string; hits: SearchResult[] }>();
  const { busy: searching, error, run } = useAction();

  const search = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const reply = await must(api.POST("/v1/knowledge:search", { body: { query, top_k: 10 } }));
      setResults({ query, hits: reply.results ?? [] });
    });
  };
  const indexing = documents.data?.stats.indexing_status;

  return (
    <>
      <PageHeader title="Knowledge" subtitle="Reference documents the TA engine and reviewers draw on" />
      <div className="kpis">
        <div className="kpi"><span className="kpi-value">{documents.data?.documents.length ?? 0}</span><span className="kpi-name">documents</span></div>
        <div className="kpi"><span className="kpi-value">{Number(indexing?.indexed ?? 0)}</span><span className="kpi-name">indexed</span></div>
        <div className="kpi"><span className="kpi-value">{Number(indexing?.unindexed ?? 0)}</span><span className="kpi-name">waiting for indexing</span></div>
      </div>
      <Card title="Search">
        <form className="filters" onSubmit={search} role="search">
          <div className="grow">
            <Field label="Search the knowledge base" name="query" error={error}>
              {(id, d, invalid) => <input id={id} type="search" value={query} aria-describedby={d} aria-invalid={invalid} onChange={(e) => setQuery(e.target.value)} />}
            </Field>
          </div>
          <Button type="submit" kind="primary" busy={searching}>Search</Button>
        </form>
        <ErrorBanner error={error} fields={["query", "top_k"]} />
        {results && (results.hits.length === 0 ? <Empty>Nothing found for “{results.query}”.</Empty> : (
          <ol className="hits">
            {results.hits.map((hit) => (
              <li key={`${hit.document_id}-${hit.chunk_ordinal}`}>
                <strong>{hit.document_title}</strong> <small className="muted">{hit.document_type} · score {Number(hit.score).toFixed(2)}</small>
                <p>{highlight(hit.snippet || hit.text, results.query)}</p>
              </li>
            ))}
          </ol>
        ))}
      </Card>
      {manager && (
        <Card title="Add documents">
          <div className="form-grid">
            <div className="field">
              <label htmlFor="doc-title">Title (optional; the file name otherwise)</label>
              <input id="doc-title" value={title} onChange={(e) => setTitle(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="doc-type">Document type</label>
              <select id="doc-type" value={documentType} onChange={(e) => setDocumentType(e.target.value)}>
                <option value="">From the file name</option>
                {DOCUMENT_TYPES.map((t) => <option key={t} value={t}>{label(t)}</option>)}
              </select>
            </div>
          </div>
          <Dropzone label="Upload knowledge documents" hint="Markdown, PDF, Splunk documentation or TA archives"
            upload={(file, progress) => uploadFile("/v1/knowledge/documents", file, { title: title || file.name, document_type: documentType || typeOf(file.name) }, progress)}
            onUploaded={() => void documents.reload()} />
        </Card>
      )}
      <Card title="Documents">
        <ErrorBanner error={documents.error} />
        <DataTable
          rows={documents.data?.documents}
          loading={documents.loading}
          empty="No document yet."
          columns={["Title", "Type", "Indexing", { title: "Size", narrow: false }, { title: "Added", narrow: false }]}
          row={(doc) => (
            <tr key={doc.id}>
              <td>{doc.title}</td>
              <td>{label(doc.document_type)}</td>
              <td>{doc.pinecone_indexed ? <span className="badge status-completed">Indexed · {doc.embedding_count} chunks</span> : <span className="badge status-pending_approval">Waiting</span>}</td>
              <td className="hide-narrow">{bytes(doc.file_size)}</td>
              <td className="hide-narrow">{when(doc.created_at)}</td>
            </tr>
          )}
        />
      </Card>
    </>
  );
}
