// start.js: what a page includes to join `jankwasm serve`
// (<script type="module" src="/_jankwasm/start.js"></script>): starts the
// client (client.js) with the back-end the page provides.
import { start } from './client.js';

start();
