import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The console is served by the gateway at `/`; `npm run dev` proxies the API to a local
// `make run` (GATEWAY_PORT, default 8080).
const gateway = `http://127.0.0.1:${process.env.GATEWAY_PORT ?? "8080"}`;

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, target: "es2020" },
  server: { proxy: { "/v1": gateway, "/openapi.json": gateway } },
});
