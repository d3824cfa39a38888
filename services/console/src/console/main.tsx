import '../shared/styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { LANGUAGE, t } from '../shared/i18n.js';
import { LoginGate } from '../shared/LoginGate.js';
import { Console } from './Console.js';

document.documentElement.lang = LANGUAGE;
document.title = t.consoleTitle;
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LoginGate page="console">
      <Console />
    </LoginGate>
  </StrictMode>,
);
