/**
 * Inputs of the volume operations. Names are checked for shape by the
 * service (one message whatever the transport); these bound their size.
 */
import { z } from "zod";
import { MAX_LABEL_KEY_LENGTH, MAX_LABEL_VALUE_LENGTH } from "./bounds.js";

/** The most `-v` entries one create may carry. */
export const MAX_VOLUMES_PER_CONTAINER = 64;

const volumeName = z.string().min(1).max(1024);

/** `POST /volumes` body. */
export const VolumeCreateBody = z.object({
  name: volumeName.optional(),
  labels: z
    .record(z.string().min(1).max(MAX_LABEL_KEY_LENGTH), z.string().max(MAX_LABEL_VALUE_LENGTH))
    .optional(),
});

/** The volume an operation acts on, by name. */
export const VolumeRefInput = z.object({ name: volumeName });
export const VolumeRemoveInput = VolumeRefInput.extend({ force: z.boolean().optional() });
export const VolumeListInput = z.object({});
