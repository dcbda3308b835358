// The quick start's path through a TypeScript client: types generated from
// Curio's /openapi.json by openapi-typescript, requests by openapi-fetch.
// Compiled with `tsc --strict` and no cast anywhere, so a body the document
// does not describe (a stream's categories as a free object, say) fails to
// compile; then run against a curio with the demo data.
//
// Usage: node client_scenario.js BASE_URL EMAIL PASSWORD

import createClient from "openapi-fetch";
import type { components, paths } from "./curio";

type Category = components["schemas"]["StreamCategory"];

function fail(message: string): never {
  throw new Error(message);
}

async function main(): Promise<void> {
  const [base, email, password] = process.argv.slice(2);
  if (!base || !email || !password) fail("usage: BASE_URL EMAIL PASSWORD");
  const anonymous = createClient<paths>({ baseUrl: base });

  const login = await anonymous.POST("/api/v1/auth/login", { body: { email, password } });
  const token = login.data?.access_token ?? fail(`login: ${login.response.status}`);
  const client = createClient<paths>({
    baseUrl: base,
    headers: { Authorization: `Bearer ${token}` },
  });

  const categories: Category[] = [
    { id: "clinical", name: "Clinical trials", topics: ["phase 3"] },
    { id: "preclinical", name: "Preclinical" },
  ];
  const created = await client.POST("/api/v1/streams", {
    body: {
      stream_name: "Gene therapy watch",
      purpose: "New clinical results in gene therapy",
      scope: "personal",
      presentation_config: { categories },
      enrichment_config: {
        prompts: { article_summary: { system_prompt: "Summarize for clinicians." } },
      },
    },
  });
  const stream = created.data ?? fail(`create stream: ${created.response.status}`);
  const read = stream.presentation_config.categories ?? [];
  if (read.length !== 2 || read[0]?.topics?.[0] !== "phase 3") {
    fail(`categories did not come back as sent: ${JSON.stringify(read)}`);
  }
  const prompt = stream.enrichment_config.prompts?.article_summary?.system_prompt;
  if (prompt !== "Summarize for clinicians.") fail(`prompt came back as ${prompt}`);

  // A misspelt field is refused with its JSON path.
  const refused = await client.PATCH("/api/v1/streams/{stream_id}", {
    params: { path: { stream_id: stream.id } },
    // Deliberately outside the type: what an untyped client might send.
    body: JSON.parse('{"presentation_config": {"categorys": []}}'),
  });
  if (refused.response.status !== 422) fail(`misspelt field: ${refused.response.status}`);

  const reports = await client.GET("/api/v1/reports", {});
  const first = reports.data?.data[0] ?? fail(`list reports: ${reports.response.status}`);
  const report = await client.GET("/api/v1/reports/{report_id}", {
    params: { path: { report_id: first.id } },
  });
  if (!report.data) fail(`get report: ${report.response.status}`);
  console.log(`typescript client: stream ${stream.id} with ${read.length} categories, report ${first.id}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
