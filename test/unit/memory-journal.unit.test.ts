import { MemoryJournal } from "../../src/store/index.js";
import { journalContract } from "../support/journal-contract.js";

journalContract("memory", () => {
  const journal = new MemoryJournal();
  return Promise.resolve({
    journal,
    breakWrites: () => {
      journal.failWrites = new Error("no space left on device");
    },
    cleanup: () => journal.close(),
  });
});
