// The argument of the commands that read an image where it is, over HTTP too (info, cat, check: their actions open it
// through CommandContext.userLocation). One wording, so that every such command's help says a URL is fine.

/** The `<image>` argument of a reading command: a path, or an http(s) URL. */
export const IMAGE_LOCATION = { name: '<image>', description: 'the image: a path, or an http(s) URL' } as const;
