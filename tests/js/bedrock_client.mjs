// A Bedrock Runtime client in another language: the AWS SDK for JavaScript v3, over HTTP/1.1.
// Usage: node bedrock_client.mjs '{"endpoint": "...", "operation": "converse"|"invoke", "modelId": "..."}'
// Prints one JSON object a line: {"event": ...} for each event as the SDK gives it (chunk
// bytes as text), then {"done": true}; or {"error": {...}} with what the SDK threw.
import { createRequire } from "node:module";

const require = createRequire(process.env.EVENTSTREAM_JS_SDK + "/");
const {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
} = require("@aws-sdk/client-bedrock-runtime");
const { NodeHttpHandler } = require("@smithy/node-http-handler");

const config = JSON.parse(process.argv[2]);
const client = new BedrockRuntimeClient({
  region: "us-east-1",
  endpoint: config.endpoint,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG" },
  maxAttempts: config.maxAttempts ?? 1,
  // The SDK's default for this client is HTTP/2 (NodeHttp2Handler); the servers under test
  // speak HTTP/1.1, as uvicorn, aiohttp and wsgiref do.
  requestHandler: new NodeHttpHandler({ requestTimeout: 5000, connectionTimeout: 5000 }),
});

const decoder = new TextDecoder();
const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");

function describe(error) {
  return {
    name: error.name,
    message: error.message,
    fault: error.$fault ?? null,
    httpStatusCode: error.$metadata?.httpStatusCode ?? null,
    retryable: error.$retryable ? true : false,
    originalStatusCode: error.originalStatusCode ?? null,
    attempts: error.$metadata?.attempts ?? null,
  };
}

try {
  let response;
  if (config.operation === "converse") {
    response = await client.send(
      new ConverseStreamCommand({
        modelId: config.modelId,
        messages: [{ role: "user", content: [{ text: "hi" }] }],
      }),
    );
  } else {
    response = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: config.modelId,
        body: JSON.stringify({ prompt: "hi" }),
        contentType: "application/json",
      }),
    );
  }
  print({ metadata: { requestId: response.$metadata.requestId ?? null,
                      contentType: response.contentType ?? null } });
  for await (const event of response.stream ?? response.body) {
    if (event.chunk) {
      print({ event: { chunk: { text: decoder.decode(event.chunk.bytes) } } });
    } else {
      print({ event });
    }
  }
  print({ done: true });
} catch (error) {
  print({ error: describe(error) });
}
