// The only module that talks to the Tauri backend: one wrapper per command (albums,
// photos, importing, the watched folders), event listening, the addresses of thumbnails
// and previews, and turning any failure into a sentence a parent can read.

const tauri = window.__TAURI__;

export const hasBackend = Boolean(tauri?.core?.invoke);

const FALLBACK_MESSAGE = 'Something went wrong. Please try again.';
const NO_BACKEND_MESSAGE = 'Pic-up needs to be opened as the app on this computer.';

// An error whose message is safe to put on screen as it is. `kind` names the few the
// page answers with a question (`not_private`); it is undefined for the rest.
export class FriendlyError extends Error {
  constructor(message, kind) {
    super(message);
    this.name = 'FriendlyError';
    this.kind = kind;
  }
}

// Anything that is not a FriendlyError is a bug or a technical failure: its text is
// for developers, so the page shows the calm fallback instead.
export function messageOf(error) {
  return error instanceof FriendlyError && error.message ? error.message : FALLBACK_MESSAGE;
}

// One change to a link already sent; what is left out stays as it is.
function changeShareLink(linkId, {
  allowAdd = null, allowComments = null, password = null, removePassword = false,
}) {
  return call('change_share_link', {
    linkId, allowAdd, allowComments, password, removePassword,
  });
}

async function call(command, args) {
  if (!hasBackend) throw new FriendlyError(NO_BACKEND_MESSAGE);
  try {
    return await tauri.core.invoke(command, args);
  } catch (error) {
    // The backend promises `{ message, kind? }` in plain words. Anything else (a bare
    // string from Tauri itself, an exception) is technical: log it and show the fallback.
    if (typeof error?.message === 'string' && error.message.trim()) {
      throw new FriendlyError(error.message, typeof error.kind === 'string' ? error.kind : undefined);
    }
    console.error(`Pic-up: "${command}" failed`, error);
    throw new FriendlyError(FALLBACK_MESSAGE);
  }
}

export const api = {
  listAlbums: () => call('list_albums'),
  albumPhotos: (albumId) => call('album_photos', { albumId }),
  importPaths: (paths) => call('import_paths', { paths }),
  cancelImport: () => call('cancel_import'),
  skippedFiles: () => call('skipped_files'),
  renameAlbum: (albumId, title) => call('rename_album', { albumId, title }),
  // Each removal answers with its Trash entries, which `restoreFromTrash` puts back (Undo).
  removeAlbum: (albumId) => call('remove_album', { albumId }),
  removePhotos: (albumId, photoIds) => call('remove_photos', { albumId, photoIds }),
  trash: () => call('trash'),
  restoreFromTrash: (entries) => call('restore_from_trash', { entries }),
  emptyTrash: () => call('empty_trash'),
  cloudTrashSpace: () => call('cloud_trash_space'),
  familyDigest: () => call('family_digest'),
  setFamilyDigest: (on) => call('set_family_digest', { on }),
  yourName: () => call('your_name'),
  setYourName: (name) => call('set_your_name', { name }),
  pickFolders: () => call('pick_folders'),
  listFolders: () => call('list_folders'),
  stopWatchingFolder: (path) => call('stop_watching_folder', { path }),
  cloudOverview: () => call('cloud_overview'),
  // `acceptNotPrivate`: the parent chose "Sign in anyway" for an address that is not private.
  cloudConnect: (server, email, password, acceptNotPrivate = false) =>
    call('cloud_connect', { server, email, password, acceptNotPrivate }),
  cloudDisconnect: () => call('cloud_disconnect'),
  cloudRetry: () => call('cloud_retry'),
  cloudFailed: () => call('cloud_failed'),
  shareLinks: (albumId) => call('share_links', { albumId }),
  shareAlbum: (albumId, lasts, allowDownload, allowAdd, allowComments, password) => call('share_album', {
    albumId, lasts, allowDownload, allowAdd, allowComments, password: password || null,
  }),
  // A link already sent: a new password, or (none given) no password any more.
  setLinkPassword: (linkId, password) => changeShareLink(linkId, password
    ? { password } : { removePassword: true }),
  setFamilyCanAdd: (linkId, allowAdd) => changeShareLink(linkId, { allowAdd }),
  setFamilyCanComment: (linkId, allowComments) => changeShareLink(linkId, { allowComments }),
  photoResponses: (albumId, photoId) => call('photo_responses', { albumId, photoId }),
  cloudPhotoResponses: (remoteAlbum, remotePhoto) =>
    call('cloud_photo_responses', { remoteAlbum, remotePhoto }),
  removeComment: (commentId) => call('remove_comment', { commentId }),
  stopSharing: (linkId) => call('stop_sharing', { linkId }),
  copyText: (text) => call('copy_text', { text }),
  // A sharing link in the browser, or a mailto: address in the e-mail program.
  openAddress: (address) => call('open_address', { address }),
  cloudOnlyAlbums: () => call('cloud_only_albums'),
  cloudAlbumPhotos: (remoteId) => call('cloud_album_photos', { remoteId }),
  keepCloudAlbum: (remoteId) => call('keep_cloud_album', { remoteId }),
  keepAllCloudAlbums: () => call('keep_all_cloud_albums'),
  cloudLookNow: () => call('cloud_look_now'),
  launchPaths: () => call('launch_paths'),
  launchInvitation: () => call('launch_invitation'),
  rememberAlbum: (albumId) => call('remember_album', { albumId }),
  lastAlbum: () => call('last_album'),
  closeChoice: (choice) => call('close_choice', { choice }),
  startAtLogin: () => call('start_at_login'),
  setStartAtLogin: (enabled) => call('set_start_at_login', { enabled }),
  saveReport: () => call('save_report'),
  showReportsFolder: () => call('show_reports_folder'),
};

// Calls `handler(payload)` for each backend event. Returns a promise of the function
// that stops listening.
export function onEvent(name, handler) {
  if (!tauri?.event?.listen) return Promise.resolve(() => {});
  return tauri.event.listen(name, (event) => handler(event.payload));
}

function picupUrl(path) {
  return hasBackend ? tauri.core.convertFileSrc(path, 'picup') : '';
}

export const thumbUrl = (photoId) => picupUrl(`thumb/${photoId}`);
export const previewUrl = (photoId) => picupUrl(`preview/${photoId}`);
// Photos in the family cloud only: fetched once through the app, then from its cache.
export const cloudThumbUrl = (cloudId) => picupUrl(`cloud-thumb/${encodeURIComponent(cloudId)}`);
export const cloudPreviewUrl = (cloudId) => picupUrl(`cloud-preview/${encodeURIComponent(cloudId)}`);
// Videos come from the app's loopback server (WebKitGTK cannot play media from a custom
// scheme); `loadVideoBase` fetches its address once at start-up.
let videoBase = null;
export async function loadVideoBase() {
  try {
    videoBase = hasBackend ? await tauri.core.invoke('video_base_url') : null;
  } catch (error) {
    console.error('Pic-up: no video server', error);
  }
}
export const originalUrl = (photoId) =>
  (videoBase ? `${videoBase}/${photoId}` : picupUrl(`original/${photoId}`));
// A video in the family cloud, streamed by the same loopback server.
export const cloudVideoUrl = (cloudId) => (videoBase ? `${videoBase}/cloud/${encodeURIComponent(cloudId)}` : '');
