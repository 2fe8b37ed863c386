/**
 * berth's images in Docker's JSON shapes: the list item (`GET /images/json`),
 * the inspect (`GET /images/{name}/json`, moby's `image.InspectResponse`, the
 * fields berth knows) and the answer of a removal. Names are in Docker's
 * familiar form, as dockerd prints them (`busybox:latest` for berth's
 * `docker.io/library/busybox:latest`); berth finds an image by either.
 */
import type { ContainerService } from "../service/index.js";

type ImageRecord = ReturnType<ContainerService["images"]["get"]>;
type ResolvedImage = Awaited<ReturnType<ContainerService["images"]["inspect"]>>;

/** What berth's image removal answers (the service's `ImageRemoved`). */
export interface ImageRemoval {
  untagged: string[];
  deleted?: string;
}

/** Docker's familiar form of a canonical name: Docker Hub's host and `library/` left out. */
export function familiarName(name: string): string {
  if (name.startsWith("docker.io/library/")) return name.slice("docker.io/library/".length);
  if (name.startsWith("docker.io/")) return name.slice("docker.io/".length);
  return name;
}

/** `name@digest` for each name, as Docker's RepoDigests: the repository without its tag. */
const repoDigests = (image: ImageRecord): string[] =>
  image.names.map((n) => `${familiarName(n).replace(/:[^:/]+$/, "")}@${image.manifestDigest}`);

/** One item of `GET /images/json`. */
export function dockerImageSummary(image: ImageRecord) {
  return {
    Id: `sha256:${image.id}`,
    ParentId: "",
    RepoTags: image.names.length > 0 ? image.names.map(familiarName) : ["<none>:<none>"],
    RepoDigests: repoDigests(image),
    Created: Math.floor(Date.parse(image.created ?? image.addedAt) / 1000),
    Size: image.size,
    SharedSize: -1,
    VirtualSize: image.size,
    Labels: {},
    Containers: -1,
  };
}

/** Docker writes an empty list as null in Cmd and Entrypoint; the CLI's templates expect that. */
const listOrNull = (items: readonly string[]) => (items.length > 0 ? [...items] : null);

/** `GET /images/{name}/json`. */
export function dockerImageInspect({ image, config }: ResolvedImage) {
  const labels = Object.keys(config.labels).length > 0 ? { ...config.labels } : null;
  return {
    Id: `sha256:${image.id}`,
    RepoTags: image.names.map(familiarName),
    RepoDigests: repoDigests(image),
    Parent: "",
    Comment: "",
    Created: new Date(image.created ?? image.addedAt).toISOString(),
    DockerVersion: "",
    Author: "",
    Config: {
      Hostname: "",
      Domainname: "",
      User: config.user,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts:
        config.exposedPorts.length > 0
          ? Object.fromEntries(config.exposedPorts.map((p) => [p, {}]))
          : null,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: [...config.env],
      Cmd: listOrNull(config.cmd),
      Image: "",
      Volumes: null,
      WorkingDir: config.workingDir,
      Entrypoint: listOrNull(config.entrypoint),
      OnBuild: null,
      Labels: labels,
      ...(config.stopSignal !== undefined ? { StopSignal: config.stopSignal } : {}),
    },
    Architecture: config.architecture || image.architecture,
    ...(config.variant !== undefined ? { Variant: config.variant } : {}),
    Os: config.os || image.os,
    Size: image.size,
    VirtualSize: image.size,
    GraphDriver: { Name: "overlay", Data: null },
    RootFS: { Type: "layers", Layers: [...config.diffIds] },
    Metadata: { LastTagTime: "0001-01-01T00:00:00Z" },
  };
}

/**
 * Docker's answer to `DELETE /images/{name}`: one `Untagged` per name taken
 * off, then `Deleted` with the image id when the image itself went.
 */
export function dockerRemoved(removed: ImageRemoval): Record<string, string>[] {
  return [
    ...removed.untagged.map((name) => ({ Untagged: familiarName(name) })),
    ...(removed.deleted !== undefined ? [{ Deleted: `sha256:${removed.deleted}` }] : []),
  ];
}
