// The capacity check as a one-shot program: npm start and npm test run it before
// the roles start, so the measurement has the machine to itself.
import { ensureCapacityProfile } from "./capacityCheck.ts";
import { closeConnections } from "./closeConnections.ts";

await ensureCapacityProfile();
await closeConnections();
