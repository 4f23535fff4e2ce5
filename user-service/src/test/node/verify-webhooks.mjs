// Verifies captured deliveries with the Standard Webhooks reference library (npm "standardwebhooks"), as a subscriber
// would. Input: a JSON array of {secret, headers, body, valid}; exits 1 on the first case that comes out otherwise.
import { Webhook } from "standardwebhooks";
import { readFileSync } from "node:fs";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
let verified = 0;
let rejected = 0;
for (const c of cases) {
  let ok;
  try {
    new Webhook(c.secret).verify(c.body, c.headers);
    ok = true;
    verified++;
  } catch (e) {
    ok = false;
    rejected++;
  }
  if (ok !== c.valid) {
    console.error(`delivery ${c.headers["webhook-id"]}: expected ${c.valid ? "valid" : "invalid"}, library said ${ok}`);
    process.exit(1);
  }
}
console.log(JSON.stringify({ verified, rejected }));
